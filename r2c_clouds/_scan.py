"""The scan pipeline: ClusterState → questions → provider → CloudFacts → rules → chains → Report."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any

from r2c_clouds._gc import gc_paused
from r2c_clouds.errors import CloudUnreachableError, UnknownRuleError
from r2c_clouds.exceptions import ExceptionEntry, load_exceptions
from r2c_clouds.exceptions import apply as apply_exceptions
from r2c_clouds.loops import Provider
from r2c_clouds.model.cloud import NotChecked
from r2c_clouds.model.cluster import ClusterState
from r2c_clouds.model.findings import Chain, Finding
from r2c_clouds.report import Report, Stats

__all__ = ["scan"]


def scan(
    cluster: ClusterState,
    cloud: str | Provider | None = "auto",
    *,
    rules: Sequence[str] | None = None,
    loops: Sequence[str] | None = None,
    window_minutes: int = 60,
    progress: Callable[[str], None] | None = None,
    exceptions: str | os.PathLike[str] | Sequence[ExceptionEntry] | None = None,
    cloud_timeout: float | None = 300.0,
    **provider_options: Any,
) -> Report:
    """Diagnose a cluster.

    Args:
        cluster: from :func:`load_snapshot`, :func:`connect` or :func:`demo`.
        cloud: ``"auto"`` (recorded facts beside a snapshot, else the cloud named by the
            nodes' providerID), ``"aws"``, ``"azure"``, ``"gcp"``, ``"recorded"``,
            ``"none"``, or a provider instance.
        rules: only these rule ids (``storage.zone-conflict``); default all.
        loops: only these loops (``storage``, ``network``...); default all.
        window_minutes: the metrics window for cloud saturation checks.
        progress: called with a short message at each stage (the CLI shows it on stderr).
        exceptions: an exceptions file (or its loaded entries): findings they accept go to
            ``report.suppressed`` instead of ``report.findings``. ``r2c-clouds/ignore``
            annotations on objects and namespaces are honoured either way.
        cloud_timeout: the deadline of the whole cloud phase, seconds: a loop still running
            then is left behind and its facts are not checked (``None``: no deadline).
        **provider_options: passed to the provider (``region=``, ``session=``, ``credential=``...).

    Returns:
        The :class:`Report`.

    Raises:
        UnknownRuleError: a rule id that is not in the catalogue.
        r2c_clouds.errors.UnknownProviderError: ``cloud`` names no installed provider.
        r2c_clouds.errors.UnreachableError: the cloud cannot be reached or no credentials.

    .. versionadded:: 0.1
    """
    from r2c_clouds.chains import link
    from r2c_clouds.checklist import build_checklist, unselected_rules
    from r2c_clouds.providers import cloud_checklist_items, gather_facts, make_provider
    from r2c_clouds.rules import REGISTRY, run_rules
    from r2c_clouds.rules._registry import NOT_APPLICABLE, selected_rules

    started = time.perf_counter()
    say = progress or (lambda _msg: None)
    if rules is not None:
        unknown = sorted(set(rules) - set(REGISTRY))
        if unknown:
            raise UnknownRuleError(f"unknown rule id(s): {', '.join(unknown)} (see `r2c rules`)")

    not_checked: list[NotChecked] = list(cluster.not_checked)
    provider, why_none = make_provider(cloud, cluster, **provider_options)
    facts = None
    if provider is not None:
        say(f"asking {provider.name} for cloud facts")
        try:
            facts = gather_facts(provider, cluster, window_minutes=window_minutes, timeout=cloud_timeout)
        except CloudUnreachableError as exc:
            if cloud != "auto":
                raise  # a cloud named explicitly: exit 3
            # --cloud auto: the Kubernetes rules still run; the cloud's are not checked
            say(f"warning: {exc}")
            not_checked.append(NotChecked("cloud facts", f"{provider.name} not reachable: {exc}"))
        else:
            not_checked.extend(facts.not_checked)
    elif why_none:
        not_checked.append(NotChecked("cloud facts", why_none))

    say("running rules")
    with gc_paused():  # rules, links and the checklist create no cycles: see r2c_clouds._gc
        findings, rules_not_checked = run_rules(cluster, facts, rules=rules, loops=loops)
        not_applicable = tuple(nc for nc in rules_not_checked if nc.reason == NOT_APPLICABLE)
        not_checked.extend(nc for nc in rules_not_checked if nc.reason != NOT_APPLICABLE)
        entries = load_exceptions(exceptions) if isinstance(exceptions, (str, os.PathLike)) else list(exceptions or ())
        applied = apply_exceptions(findings, cluster, entries)
        findings = list(applied.kept)
        say("linking cause chains")
        findings, chains = link(findings, cluster, facts)
        # rules left out by rules=/loops= did not run: the checklist must not read that as a pass.
        # It is the whole cluster's readiness (its counts are the cluster's), scope or not.
        checklist = build_checklist(
            cluster, facts, findings, [*not_checked, *not_applicable, *unselected_rules(rules, loops)],
            cloud_items=cloud_checklist_items,
        )
        suppressed = applied.suppressed
        if not cluster.scope.everything:
            findings, chains = within_scope(cluster, findings, chains)
            suppressed = tuple(s for s in suppressed if cluster.in_scope(s.finding.subject))
        stats = Stats(
            objects=cluster.object_counts(),
            api_calls=dict(facts.api_calls) if facts is not None else {},
            duration_s=round(time.perf_counter() - started, 4),
            skipped=dict(cluster.ignored),
        )
        selected = [spec for spec, _ in selected_rules(rules, loops)]
        return Report(
            cluster=cluster,
            facts=facts,
            findings=tuple(findings),
            chains=tuple(chains),
            checklist=tuple(checklist),
            not_checked=tuple(_dedupe(not_checked)),
            stats=stats,
            generated_at=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            incomplete=tuple(incomplete_reads(cluster, {kind for spec in selected for kind in spec.needs})),
            suppressed=suppressed,
            expired_exceptions=applied.expired,
            stale_exceptions=applied.stale,
            not_applicable=not_applicable,
        )


#: Why a kind may be missing without the scan being incomplete: the source does not hold it
#: (a snapshot, a manifest), the API server does not serve it, or r2c_clouds chose not to
#: read it (Secrets when metadata-only listing is refused).
_NOT_A_FAILURE = ("not captured", "not served", "the server cannot list Secrets as metadata only")


def incomplete_reads(cluster: ClusterState, needed: set[str]) -> list[NotChecked]:
    """The kinds the selected rules need that were attempted and could not be (fully) read:
    forbidden, a server error, a timeout, an expired list... — what makes a scan incomplete.

    A kind missing from a snapshot or a manifest directory is not a failure (the rules that
    need it are reported not checked); a kind a support bundle or the live reader could not
    list is.
    """
    return [
        nc for nc in cluster.not_checked
        if nc.what in needed and not nc.reason.startswith(_NOT_A_FAILURE)
    ]


def within_scope(cluster: ClusterState, findings: list[Finding], chains: list[Chain]) -> tuple[list[Finding], list[Chain]]:
    """What a scoped report keeps: the findings about objects in ``cluster.scope``; whatever
    their namespace or labels, the findings that cause them (down ``caused_by``); and the
    chains that pass through one of them, whole (a NAT gateway saturated by a Service in
    scope stays, with its chain). Order is kept."""
    by_id = {f.id: f for f in findings}
    # a finding is the scope's own when it is about an object in scope, or names one among
    # its related objects (a NodePool finding about the workloads it hosts)
    own = {
        f.id for f in findings
        if cluster.in_scope(f.subject)
        or any(r.namespace is not None and cluster.in_scope(r) for r in f.related)
    }
    kept_chains = [c for c in chains if own.intersection(c.path)]
    keep: set[str] = set()
    todo = [*own, *(fid for c in kept_chains for fid in c.path)]
    while todo:
        fid = todo.pop()
        if fid in keep or fid not in by_id:
            continue
        keep.add(fid)
        todo.extend(by_id[fid].caused_by)
    return [f for f in findings if f.id in keep], kept_chains


def _dedupe(items: list[NotChecked]) -> list[NotChecked]:
    seen: dict[tuple[str, str], NotChecked] = {}
    for nc in items:
        seen.setdefault((nc.what, nc.reason), nc)
    return list(seen.values())
