"""One check for every provider: its question methods (docs/scripts.md) return the facts the
scan gathers for the same cluster, fact for fact, each question through the provider's own
loops and SDK fixtures, counting the calls it made."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from r2c_clouds.loops import (
    compute_questions,
    identity_questions,
    network_questions,
    storage_questions,
)
from r2c_clouds.model.cloud import CloudFacts
from r2c_clouds.model.cluster import ClusterState
from r2c_clouds.providers import gather_facts


def _key(fact: Any) -> str:
    return repr(fact)


def check_questions_match_the_scan(
    make_provider: Callable[[], Any], cluster: ClusterState, *, allowed_not_checked: tuple[str, ...] = (),
) -> CloudFacts:
    """Ask each question of a fresh provider and compare with the scan's facts. Returns
    the scan's facts (for further asserts). ``allowed_not_checked``: fact families the
    fixture cannot answer (an API the emulator lacks)."""
    facts = gather_facts(make_provider(), cluster)
    assert {nc.what for nc in facts.not_checked} <= set(allowed_not_checked), facts.not_checked
    ident, comp, net, stor = (identity_questions(cluster), compute_questions(cluster),
                              network_questions(cluster), storage_questions(cluster))

    p = make_provider()
    annotated = {(r.namespace, r.service_account): r for r in ident.service_accounts}
    assert facts.identity_bindings, "the twin has workload identity bindings"
    for b in facts.identity_bindings:
        ref = annotated.get((b.namespace, b.service_account))
        answer = p.workload_identity(b.namespace, b.service_account, ref.identity if ref else None,
                                     audience=ref.audience if ref else None)
        assert answer.checked and answer.facts == b, (b, answer)
        assert bool(answer.api_calls) == (p.name != "recorded"), "a question counts the calls it made"

    assert facts.registry_access
    for registry in sorted({ra.registry for ra in facts.registry_access}):
        answer = p.registry_access(registry, images=[i for i in ident.images if i.startswith(registry + "/")])
        assert answer.checked
        assert sorted(map(_key, answer.facts)) == sorted(_key(ra) for ra in facts.registry_access if ra.registry == registry)

    answer = make_provider().node_pools(*comp.node_pools)
    assert answer.checked and sorted(map(_key, answer.facts)) == sorted(map(_key, facts.node_pools)) != []

    answer = make_provider().disks(*(v.volume_handle for v in stor.volumes))
    assert answer.checked and sorted(map(_key, answer.facts)) == sorted(map(_key, facts.disks)) != []

    answer = make_provider().egress_gateways(*net.zones, window_minutes=net.window_minutes)
    assert answer.checked and sorted(map(_key, answer.facts)) == sorted(map(_key, facts.egress_gateways)) != []

    answer = make_provider().subnets(zones=net.zones, provider_ids=net.provider_ids, pod_cidrs=net.pod_cidrs)
    assert answer.checked and sorted(map(_key, answer.facts)) == sorted(map(_key, facts.subnets)) != []
    return facts
