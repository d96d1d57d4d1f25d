"""The rule catalogue: one module per loop; a rule is a pure function plus metadata.

Importing this package registers every built-in rule in :data:`REGISTRY`.
"""

from r2c_clouds.rules import compute, identity, network, observability, storage  # noqa: F401  (registration)
from r2c_clouds.rules._registry import REGISTRY, RuleContext, RuleSpec, iter_specs, rule, run_rules

__all__ = ["REGISTRY", "RuleContext", "RuleSpec", "iter_specs", "rule", "run_rules"]
