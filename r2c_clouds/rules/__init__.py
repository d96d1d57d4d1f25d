"""The rule catalogue: one module per loop; a rule is a pure function plus metadata.

Importing this package registers every built-in rule in :data:`REGISTRY`, then the rules of
plugin packages: a package registers its own through the entry-point group
``r2c_clouds.rules`` (each entry point a module whose import registers rules with the same
:func:`rule` decorator, ids in its own namespace: ``acme.no-latest-tag``). A plugin that
cannot be loaded is listed in :data:`PLUGIN_ERRORS` and reported *not checked* by every scan.

The rules that judge one cloud fact can be called on their own (``judge_*``): a script asks a
provider one question (:mod:`r2c_clouds.providers.questions`) and gets the verdict and the
message the report would print (docs/scripts.md).
"""

from importlib.metadata import entry_points

from r2c_clouds.rules import compute, identity, network, observability, storage  # noqa: F401  (registration)
from r2c_clouds.rules._registry import (
    PLUGIN_ERRORS,
    REGISTRY,
    RuleContext,
    RuleSpec,
    iter_specs,
    rule,
    run_rules,
)
from r2c_clouds.rules.identity import judge_identity_binding, judge_registry_access
from r2c_clouds.rules.network import judge_egress_gateway, judge_subnet
from r2c_clouds.rules.storage import judge_disk_zone

__all__ = [
    "GROUP",
    "PLUGIN_ERRORS",
    "REGISTRY",
    "RuleContext",
    "RuleSpec",
    "iter_specs",
    "judge_disk_zone",
    "judge_egress_gateway",
    "judge_identity_binding",
    "judge_registry_access",
    "judge_subnet",
    "rule",
    "run_rules",
]

#: The entry-point group of rule plugins.
GROUP = "r2c_clouds.rules"


def _load_plugins() -> None:
    for ep in entry_points(group=GROUP):
        try:
            ep.load()
        except Exception as exc:  # a broken plugin must not break the built-in rules
            PLUGIN_ERRORS.append((ep.name, f"{type(exc).__name__}: {' '.join(str(exc).split())}"))


_load_plugins()
