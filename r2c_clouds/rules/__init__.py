"""The rule catalogue: one module per loop; a rule is a pure function plus metadata.

Importing this package registers every built-in rule in :data:`REGISTRY`, then the rules of
plugin packages: a package registers its own through the entry-point group
``r2c_clouds.rules`` (each entry point a module whose import registers rules with the same
:func:`rule` decorator, ids in its own namespace: ``acme.no-latest-tag``). A plugin that
cannot be loaded is listed in :data:`PLUGIN_ERRORS` and reported *not checked* by every scan.
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

__all__ = ["GROUP", "PLUGIN_ERRORS", "REGISTRY", "RuleContext", "RuleSpec", "iter_specs", "rule", "run_rules"]

#: The entry-point group of rule plugins.
GROUP = "r2c_clouds.rules"


def _load_plugins() -> None:
    for ep in entry_points(group=GROUP):
        try:
            ep.load()
        except Exception as exc:  # a broken plugin must not break the built-in rules
            PLUGIN_ERRORS.append((ep.name, f"{type(exc).__name__}: {' '.join(str(exc).split())}"))


_load_plugins()
