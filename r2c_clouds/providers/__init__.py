"""Cloud provider plugins and their registry (entry-point group ``r2c_clouds.providers``)."""

from r2c_clouds.providers._gather import gather_facts
from r2c_clouds.providers._registry import (
    GROUP,
    cli_options,
    cloud_checklist_items,
    detect_cloud,
    load_provider,
    make_provider,
    provider_classes,
    provider_names,
)

__all__ = [
    "GROUP",
    "cli_options",
    "cloud_checklist_items",
    "detect_cloud",
    "gather_facts",
    "load_provider",
    "make_provider",
    "provider_classes",
    "provider_names",
]
