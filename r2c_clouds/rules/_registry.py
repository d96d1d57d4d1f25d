"""The rule registry: a rule is a pure function plus metadata, registered by a decorator.

```python
@rule(
    "storage.immediate-binding",
    severity=Severity.MEDIUM,
    title="StorageClass binds volumes before the pod is scheduled",
    rationale="...", remediation="...", docs="https://kubernetes.io/...",
    needs=("StorageClass",),
)
def immediate_binding(ctx: RuleContext) -> Iterator[Finding]:
    for sc in ctx.cluster.storage_classes:
        ...
        yield ctx.finding(ObjectRef("StorageClass", None, sc.metadata.name), "...")
```

The id's loop must be the module's name and the id's name the function's name with ``-``
for ``_``: :func:`rule` refuses drift between metadata and code, so ``storage.zone-conflict``
is always ``r2c_clouds/rules/storage.py::zone_conflict``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TypeVar

import attrs
from attrs import frozen

from r2c_clouds.model.cloud import CloudFacts, NotChecked
from r2c_clouds.model.cluster import ClusterState
from r2c_clouds.model.findings import Evidence, Finding, Loop, ObjectRef, Severity, finding_id

__all__ = ["PLUGIN_ERRORS", "REGISTRY", "RuleContext", "RuleFunc", "RuleSpec", "rule", "run_rules", "selected_rules"]

#: The cloud fact families a rule may need (attributes of CloudFacts).
CLOUD_NEEDS = frozenset(
    {
        "cluster_identity",
        "identity_bindings",
        "registry_access",
        "node_pools",
        "disks",
        "egress_gateways",
        "subnets",
        "network",
        "private_endpoints",
    }
)


@frozen
class RuleSpec:
    """A rule's metadata.

    Args:
        id: ``loop.name``.
        severity: the default severity of its findings.
        title: what it detects, as a noun phrase.
        rationale: why it matters, in one or two sentences.
        remediation: what to do, in one or two sentences.
        docs: the upstream documentation that explains the fix.
        needs: Kubernetes kinds it reads; if one was not captured the rule is *not checked*.
        needs_cloud: CloudFacts families it reads; without them it is *not checked*.
        symptom: the rule describes a symptom (something is broken now) rather than a risk.
        needs_all_pods: the rule adds up every pod on a node (free capacity): when the
            source holds only some namespaces (a live read with ``namespaces=``) it is not checked.
        runtime: the rule judges a running cluster (pods' status, events, where the scheduler
            put pods, nodes): on manifests about to be applied (``-f``) it is *not applicable*.
    """

    id: str
    loop: Loop
    severity: Severity
    title: str
    rationale: str
    remediation: str
    docs: str
    needs: tuple[str, ...] = ()
    needs_cloud: tuple[str, ...] = ()
    symptom: bool = False
    needs_all_pods: bool = False
    runtime: bool = False

    @property
    def name(self) -> str:
        """The part after the loop: ``zone-conflict``."""
        return self.id.split(".", 1)[1]


@frozen
class RuleContext:
    """What a rule sees: the cluster, the cloud facts (None when no provider), and its spec."""

    cluster: ClusterState
    facts: CloudFacts | None
    spec: RuleSpec

    def finding(
        self,
        subject: ObjectRef,
        message: str,
        *,
        evidence: Iterable[Evidence] = (),
        related: Iterable[ObjectRef] = (),
        severity: Severity | None = None,
        key: str = "",
        time: str | None = None,
    ) -> Finding:
        """Build a finding of this rule. ``key`` distinguishes several findings of one rule
        on one subject (e.g. one per container)."""
        return Finding(
            id=finding_id(self.spec.id, subject, key),
            rule=self.spec.id,
            loop=self.spec.loop,
            severity=self.spec.severity if severity is None else severity,
            subject=subject,
            message=message,
            evidence=tuple(evidence),
            related=tuple(related),
            remediation=self.spec.remediation,
            docs=self.spec.docs,
            time=time,
        )


RuleFunc = Callable[[RuleContext], Iterable[Finding]]
_F = TypeVar("_F", bound=RuleFunc)

#: Rule plugins (entry-point group ``r2c_clouds.rules``) that failed to load: (name, why).
PLUGIN_ERRORS: list[tuple[str, str]] = []

#: Every registered rule by id, in registration order.
REGISTRY: dict[str, tuple[RuleSpec, RuleFunc]] = {}


def rule(
    id: str,
    *,
    severity: Severity,
    title: str,
    rationale: str,
    remediation: str,
    docs: str,
    needs: Sequence[str] = (),
    needs_cloud: Sequence[str] = (),
    symptom: bool = False,
    loop: Loop | str | None = None,
    needs_all_pods: bool = False,
    runtime: bool = False,
) -> Callable[[_F], _F]:
    """Register a rule function under ``id`` with its metadata.

    Built-in ids are ``LOOP.NAME`` (``storage.zone-conflict``, in ``rules/storage.py`` as
    ``zone_conflict``). A rule from a plugin package (entry-point group ``r2c_clouds.rules``)
    takes an id in its own namespace (``acme.no-latest-tag``) and names its ``loop``.

    Raises:
        ValueError: the id does not match the module and function, it is registered twice,
            or it names an unknown cloud fact family or loop.
    """
    prefix, _, name = id.partition(".")
    builtin = prefix in {lp.value for lp in Loop}
    if not name:
        raise ValueError(f"rule id {id!r} must be NAMESPACE.NAME (acme.no-latest-tag)")
    if builtin and loop is not None and Loop(loop).value != prefix:
        raise ValueError(f"rule {id}: its id says loop {prefix}, not {loop}")
    if not builtin and loop is None:
        raise ValueError(f"rule {id}: a rule outside the built-in loops' names must say loop=...")
    rule_loop = Loop(prefix) if builtin else Loop(loop)
    bad_needs = set(needs_cloud) - CLOUD_NEEDS
    if bad_needs:
        raise ValueError(f"rule {id}: unknown cloud fact families {sorted(bad_needs)}")

    def register(func: _F) -> _F:
        module = func.__module__.rsplit(".", 1)[-1]
        ours = func.__module__.startswith("r2c_clouds.")
        if func.__name__ != name.replace("-", "_") or (ours and module != prefix):
            where = f"rules/{prefix}.py" if ours else func.__module__
            raise ValueError(
                f"rule {id} must be function {name.replace('-', '_')} in {where}, "
                f"not {func.__name__} in {func.__module__}"
            )
        if id in REGISTRY:
            raise ValueError(f"rule {id} registered twice")
        spec = RuleSpec(
            id=id,
            loop=rule_loop,
            severity=severity,
            title=title,
            rationale=rationale,
            remediation=remediation,
            docs=docs,
            needs=tuple(needs),
            needs_cloud=tuple(needs_cloud),
            symptom=symptom,
            needs_all_pods=needs_all_pods,
            runtime=runtime or symptom,
        )
        REGISTRY[id] = (spec, func)
        return func

    return register


def _missing_cloud(spec: RuleSpec, facts: CloudFacts | None) -> str | None:
    if not spec.needs_cloud:
        return None
    if facts is None:
        return "needs cloud facts (scan with --cloud)"
    for family in spec.needs_cloud:
        for nc in facts.not_checked:
            if nc.what == family:
                return f"{family} {nc.reason}"
    return None


def _missing_pods(spec: RuleSpec, cluster: ClusterState) -> str | None:
    scope = cluster.scope
    if not spec.needs_all_pods or not scope.read_only_these or scope.namespaces is None:
        return None
    return (
        f"adds up the pods on each node, and the read listed only namespace(s) {', '.join(scope.namespaces)}: "
        "scan all namespaces (-A) to check it"
    )


def selected_rules(
    rules: Sequence[str] | None = None, loops: Sequence[str] | None = None
) -> list[tuple[RuleSpec, RuleFunc]]:
    """The registered rules a scan limited by ``rules=`` (ids) and ``loops=`` runs, in
    registration order (``None``: no limit)."""
    return [
        (spec, func) for rid, (spec, func) in REGISTRY.items()
        if (rules is None or rid in rules) and (loops is None or spec.loop.value in loops)
    ]


#: The reason of a rule that judges a running cluster, on manifests (``-f``).
NOT_APPLICABLE = "not applicable to manifests: judges a running cluster (pod status, events, nodes)"


def run_rules(
    cluster: ClusterState,
    facts: CloudFacts | None,
    *,
    rules: Sequence[str] | None = None,
    loops: Sequence[str] | None = None,
) -> tuple[list[Finding], list[NotChecked]]:
    """Run the selected rules (all by default) and return findings and what was not checked.

    A rule whose Kubernetes kinds were not captured, or whose cloud facts are missing, is
    reported as not checked instead of silently finding nothing.
    """
    findings: list[Finding] = []
    not_checked: list[NotChecked] = []
    for plugin, error in PLUGIN_ERRORS:
        not_checked.append(NotChecked(f"rules plugin {plugin}", f"cannot be loaded: {error}"))
    for spec, func in selected_rules(rules, loops):
        rid = spec.id
        if cluster.manifests and spec.runtime:
            not_checked.append(NotChecked(rid, NOT_APPLICABLE))
            continue
        missing = [kind for kind in spec.needs if not cluster.has(kind)]
        if missing:
            not_checked.append(NotChecked(rid, f"not captured: {', '.join(missing)}"))
            continue
        why = _missing_cloud(spec, facts) or _missing_pods(spec, cluster)
        if why is not None:
            not_checked.append(NotChecked(rid, why))
            continue
        findings.extend(func(RuleContext(cluster, facts, spec)))
    return _dedupe(findings), not_checked


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: dict[str, Finding] = {}
    for f in findings:
        if f.id in seen:
            prev = seen[f.id]
            seen[f.id] = attrs.evolve(prev, evidence=prev.evidence + f.evidence)
        else:
            seen[f.id] = f
    return sorted(seen.values(), key=lambda f: f.sort_key)


def iter_specs() -> Iterator[RuleSpec]:
    """Every rule's metadata, in catalogue order (loop, then id)."""
    order = {loop: i for i, loop in enumerate(Loop)}
    for spec, _ in sorted(REGISTRY.values(), key=lambda sf: (order[sf[0].loop], sf[0].id)):
        yield spec
