"""Provider plugins: discovered through the entry-point group ``r2c_clouds.providers``.

Names are listed without importing anything; only the provider asked for is loaded, and
both hits and misses are cached. The core names no cloud: ``aws``, ``azure`` and ``gcp``
register themselves in the package metadata exactly as a third-party plugin would.
"""

from __future__ import annotations

import functools
from importlib.metadata import entry_points
from typing import Any

from r2c_clouds.errors import BadInputError, UnknownProviderError
from r2c_clouds.loops import Provider
from r2c_clouds.model.cluster import ClusterState

__all__ = ["GROUP", "detect_cloud", "load_provider", "make_provider", "provider_names"]

GROUP = "r2c_clouds.providers"

#: node ``spec.providerID`` scheme → provider name.
_PROVIDER_ID_SCHEMES = {"aws": "aws", "azure": "azure", "gce": "gcp"}

#: extra to install for a provider that is declared but whose SDK is missing.
INSTALL_HINT = "pip install 'r2c_clouds[{name}]'"


def provider_names() -> list[str]:
    """Names of every registered provider, sorted."""
    return sorted({ep.name for ep in entry_points(group=GROUP)})


@functools.cache
def load_provider(name: str) -> Any:
    """Load the provider class registered as ``name``.

    Raises:
        UnknownProviderError: no such provider, or its SDK extra is not installed.
    """
    for ep in entry_points(group=GROUP):
        if ep.name == name:
            try:
                return ep.load()
            except ImportError as exc:
                raise UnknownProviderError(
                    f"provider {name!r} cannot be loaded: {exc}",
                    remediation=INSTALL_HINT.format(name=name),
                ) from exc
    known = ", ".join(provider_names()) or "none"
    raise UnknownProviderError(f"unknown cloud provider {name!r} (registered: {known})")


def detect_cloud(cluster: ClusterState) -> str | None:
    """The cloud a cluster runs on, from its nodes' ``spec.providerID`` (``aws://``,
    ``azure://``, ``gce://``); ``None`` if nodes disagree or name no known cloud."""
    seen: set[str] = set()
    for node in cluster.nodes:
        pid = node.spec.provider_id or ""
        scheme = pid.split("://", 1)[0] if "://" in pid else ""
        if scheme in _PROVIDER_ID_SCHEMES:
            seen.add(_PROVIDER_ID_SCHEMES[scheme])
    return seen.pop() if len(seen) == 1 else None


def make_provider(
    cloud: str | Provider | None, cluster: ClusterState, **options: Any
) -> tuple[Provider | None, str | None]:
    """Turn ``--cloud`` into a provider instance.

    Returns:
        ``(provider, why_none)``: the provider, or ``None`` and the reason cloud facts will
        not be gathered (``--cloud none``, cloud not detected, plugin not installed).

    Raises:
        UnknownProviderError: an explicit name that no plugin provides.
    """
    if cloud is None or cloud == "none":
        return None, "cloud checks disabled (--cloud none)"
    if not isinstance(cloud, str):
        return cloud, None
    name = cloud
    detected_by_auto = False
    if name == "auto":
        if cluster.cloud_facts_path:
            name = "recorded"
        else:
            detected = detect_cloud(cluster)
            if detected is None:
                return None, "cloud not detected from node providerID (use --cloud)"
            if detected not in provider_names():
                return None, (
                    f"cloud {detected} detected but its provider is not installed "
                    f"({INSTALL_HINT.format(name=detected)})"
                )
            name = detected
            detected_by_auto = True
    cls = load_provider(name)
    factory = getattr(cls, "for_cluster", None)
    try:
        provider = factory(cluster, **options) if factory is not None else cls(**options)
    except TypeError as exc:
        raise BadInputError(f"provider {name!r}: {exc}") from exc
    except BadInputError as exc:
        if not detected_by_auto:
            raise
        # --cloud auto: a cloud the user did not ask for must not fail the scan
        return None, f"cloud {name} detected but not usable: {exc}"
    return provider, None
