"""Cause links, chains and the cycle guard (findings built by hand, see chains_domino)."""

from __future__ import annotations

import pytest
from chains_domino import ECR, NAT, NEW_NODE, NS, domino, finding, world
from hypothesis import given, settings
from hypothesis import strategies as st

from r2c_clouds.chains import LINKS, Link, link, link_why
from r2c_clouds.model.cloud import CloudFacts, EgressGateway, Provenance
from r2c_clouds.model.findings import Finding, Loop, ObjectRef, Severity
from r2c_clouds.report import Report

UNSCHED = "compute.unschedulable"
PULL = "compute.image-pull-backoff"
STUCK = "storage.statefulset-rollout-stuck"
NOEP = "network.service-no-ready-endpoints"

POD = f"Pod/{NS}/checkout-6f9c"
WEB = f"Pod/{NS}/web-1"
STS = f"StatefulSet/{NS}/orders-db"
DB_SVC = f"Service/{NS}/orders-db"

INSUFFICIENT = f"Pod {NS}/train-5 is Pending: 0/4 nodes are available: 1 Insufficient cpu, 3 node(s) didn't match Pod's node affinity/selector."
AFFINITY = f"Pod {NS}/train-5 is Pending: 0/4 nodes are available: 4 node(s) had volume node affinity conflict."

# (symptom, cause, linked?) — one positive and at least one negative per link of the table.
CASES = [
    pytest.param(finding(PULL, WEB, (f"Registry/{ECR}", f"Node/{NEW_NODE}")),
                 finding("identity.image-pull-auth", "NodePool/workers-b", (f"Registry/{ECR}",)), True, id="pull-auth-pool"),
    pytest.param(finding(PULL, WEB, (f"Registry/{ECR}", f"Node/{NEW_NODE}")),
                 finding("identity.image-pull-auth", "NodePool/workers-a", (f"Registry/{ECR}",)), False, id="pull-auth-other-pool"),
    pytest.param(finding(PULL, WEB, (f"Node/{NEW_NODE}",)),
                 finding("identity.image-pull-auth", "NodePool/workers-b", ("Registry/docker.io",)), False,
                 id="pull-auth-other-registry"),
    pytest.param(finding(PULL, WEB), finding("identity.trust-mismatch", f"ServiceAccount/{NS}/web"), True, id="trust-runs-as"),
    pytest.param(finding(PULL, WEB), finding("identity.trust-mismatch", f"ServiceAccount/{NS}/checkout"), False,
                 id="trust-other-sa"),
    pytest.param(finding(PULL, WEB), finding("identity.identity-not-found", f"ServiceAccount/{NS}/web"), True,
                 id="not-found-runs-as"),
    pytest.param(finding(PULL, WEB), finding("identity.identity-not-found", "ServiceAccount/default/web"), False,
                 id="not-found-other-namespace"),
    pytest.param(finding(UNSCHED, POD), finding("compute.fragmentation", POD), True, id="fragmentation-same-pod"),
    pytest.param(finding(UNSCHED, POD), finding("compute.fragmentation", f"Pod/{NS}/train-5"), False,
                 id="fragmentation-other-pod"),
    pytest.param(finding(UNSCHED, f"Pod/{NS}/train-5", message=INSUFFICIENT),
                 finding("compute.missing-requests", f"Deployment/{NS}/batch", ("Node/node-a",)), True,
                 id="missing-requests-eligible-node"),
    pytest.param(finding(UNSCHED, f"Pod/{NS}/train-5", message=AFFINITY),
                 finding("compute.missing-requests", f"Deployment/{NS}/batch", ("Node/node-a",)), False,
                 id="missing-requests-not-short-of-cpu"),
    pytest.param(finding(UNSCHED, f"Pod/{NS}/train-5", message=INSUFFICIENT),
                 finding("compute.missing-requests", f"Deployment/{NS}/batch", ("Node/ip-10-0-2-41.ec2.internal",)), False,
                 id="missing-requests-node-outside-selector"),
    pytest.param(finding(UNSCHED, POD, message=INSUFFICIENT),
                 finding("compute.missing-requests", f"Deployment/{NS}/batch", ("Node/ip-10-0-1-90.ec2.internal",)), False,
                 id="missing-requests-tainted-node"),
    pytest.param(finding(UNSCHED, f"Pod/{NS}/train-5", message=INSUFFICIENT),
                 finding("network.subnet-ip-exhaustion", "Subnet/pod range pods", ("Zone/us-east-1a", "Zone/us-east-1b"),
                         severity=Severity.HIGH), True, id="new-node-needs-addresses"),
    pytest.param(finding(UNSCHED, f"Pod/{NS}/train-5", message=INSUFFICIENT),
                 finding("network.subnet-ip-exhaustion", "Subnet/subnet-0b2", ("Zone/us-east-1b",), severity=Severity.HIGH),
                 False, id="new-node-needs-addresses-other-zone"),
    pytest.param(finding(UNSCHED, f"Pod/{NS}/train-5", message=INSUFFICIENT),
                 finding("network.subnet-ip-exhaustion", "Subnet/subnet-0a1", ("Zone/us-east-1a",), severity=Severity.MEDIUM),
                 False, id="new-node-addresses-still-room"),
    pytest.param(finding(UNSCHED, POD), finding("network.subnet-ip-exhaustion", "Subnet/subnet-0a1", ("Zone/us-east-1a",),
                                                severity=Severity.HIGH), False, id="new-node-not-waiting-for-one"),
    pytest.param(finding(UNSCHED, POD), finding("storage.zone-conflict", f"PersistentVolumeClaim/{NS}/checkout-cache"), True,
                 id="zone-conflict-mounted"),
    pytest.param(finding(UNSCHED, POD), finding("storage.zone-conflict", f"PersistentVolumeClaim/{NS}/other-cache"), False,
                 id="zone-conflict-not-mounted"),
    pytest.param(finding(UNSCHED, POD), finding("compute.node-pool-zone-gap", "Zone/us-east-1a", ("NodePool/workers-a",)), True,
                 id="zone-gap-pv-zone"),
    pytest.param(finding(UNSCHED, POD), finding("compute.node-pool-zone-gap", "Zone/us-east-1c"), False, id="zone-gap-other-zone"),
    pytest.param(finding("storage.zone-conflict", f"PersistentVolumeClaim/{NS}/checkout-cache"),
                 finding("storage.immediate-binding", "StorageClass/gp2"), True, id="immediate-storage-class"),
    pytest.param(finding("storage.zone-conflict", f"PersistentVolumeClaim/{NS}/legacy"),
                 finding("storage.immediate-binding", "StorageClass/gp2"), True, id="immediate-default-class"),
    pytest.param(finding("storage.zone-conflict", f"PersistentVolumeClaim/{NS}/checkout-cache"),
                 finding("storage.immediate-binding", "StorageClass/gp3"), False, id="immediate-other-class"),
    pytest.param(finding(STUCK, STS), finding("storage.zone-conflict", f"PersistentVolumeClaim/{NS}/data-orders-db-1"), True,
                 id="stuck-claim"),
    pytest.param(finding(STUCK, STS), finding("storage.zone-conflict", f"PersistentVolumeClaim/{NS}/checkout-cache"), False,
                 id="stuck-other-claim"),
    pytest.param(finding(STUCK, STS), finding(UNSCHED, f"Pod/{NS}/orders-db-1"), True, id="stuck-pod"),
    pytest.param(finding(STUCK, STS), finding(UNSCHED, POD), False, id="stuck-other-pod"),
    pytest.param(finding(NOEP, DB_SVC), finding("network.readiness-failing", f"Pod/{NS}/orders-db-0"), True, id="endpoints-readiness"),
    pytest.param(finding(NOEP, DB_SVC), finding("network.readiness-failing", WEB), False, id="endpoints-readiness-other"),
    pytest.param(finding(NOEP, DB_SVC), finding(UNSCHED, f"Pod/{NS}/orders-db-1"), True, id="endpoints-unschedulable"),
    pytest.param(finding(NOEP, DB_SVC), finding(UNSCHED, POD), False, id="endpoints-unschedulable-other"),
    pytest.param(finding(NOEP, f"Service/{NS}/web"), finding(PULL, WEB), True, id="endpoints-pull"),
    pytest.param(finding(NOEP, DB_SVC), finding(PULL, WEB), False, id="endpoints-pull-other"),
    pytest.param(finding("network.nat-saturation", f"NatGateway/{NAT}", ("Zone/us-east-1b",)),
                 finding("network.cross-zone-traffic", DB_SVC, ("Zone/us-east-1b",)), True, id="nat-client-zone"),
    pytest.param(finding("network.nat-saturation", f"NatGateway/{NAT}", ("Zone/us-east-1b",)),
                 finding("network.cross-zone-traffic", DB_SVC, ("Zone/us-east-1a",)), False, id="nat-other-zone"),
    pytest.param(finding("network.cross-zone-traffic", DB_SVC, (POD, "Zone/us-east-1b")),
                 finding("storage.zone-conflict", f"PersistentVolumeClaim/{NS}/checkout-cache"), True, id="crosszone-client-mounts"),
    pytest.param(finding("network.cross-zone-traffic", DB_SVC),
                 finding("storage.zone-conflict", f"PersistentVolumeClaim/{NS}/data-orders-db-1"), True, id="crosszone-server-mounts"),
    pytest.param(finding("network.cross-zone-traffic", DB_SVC, (POD,)),
                 finding("storage.zone-conflict", f"PersistentVolumeClaim/{NS}/other-cache"), False, id="crosszone-unrelated-claim"),
]


def _link_of(symptom: Finding, cause: Finding) -> Link:
    return next(lk for lk in LINKS if lk.symptom_rule == symptom.rule and lk.cause_rule == cause.rule)


@pytest.mark.parametrize(("symptom", "cause", "expected"), CASES)
def test_link_predicate(symptom: Finding, cause: Finding, expected: bool) -> None:
    c = world()
    assert _link_of(symptom, cause).predicate(symptom, cause, c, None) is expected


@pytest.mark.parametrize(("symptom", "cause", "expected"), CASES)
def test_link_finds_cause_through_index(symptom: Finding, cause: Finding, expected: bool) -> None:
    linked, _ = link([symptom, cause], world(), None)
    by_id = {f.id: f for f in linked}
    assert by_id[symptom.id].caused_by == ((cause.id,) if expected else ())
    assert by_id[cause.id].caused_by == ()


def test_every_link_of_the_table_has_cases() -> None:
    covered = {(p.values[0].rule, p.values[1].rule, p.values[2]) for p in CASES}  # type: ignore[union-attr]
    for lk in LINKS:
        assert (lk.symptom_rule, lk.cause_rule, True) in covered, lk
        assert (lk.symptom_rule, lk.cause_rule, False) in covered, lk


def test_nat_zone_from_cloud_facts() -> None:
    facts = CloudFacts(provider="aws", egress_gateways=(
        EgressGateway(NAT, Provenance("aws", "ec2:DescribeNatGateways", NAT), zone="us-east-1b"),))
    nat = finding("network.nat-saturation", f"NatGateway/{NAT}")
    cz = finding("network.cross-zone-traffic", DB_SVC, ("Zone/us-east-1b",))
    linked, _ = link([nat, cz], world(), facts)
    assert linked[0].caused_by == (cz.id,)
    linked, _ = link([nat, cz], world(), None)
    assert linked[0].caused_by == ()


def test_domino_gives_two_chains_sharing_the_root_cause() -> None:
    d = domino()
    linked, chains = link(list(d.values()), world(), None)
    by_id = {f.id: f for f in linked}
    assert by_id[d["pending"].id].caused_by == (d["conflict"].id,)
    assert by_id[d["conflict"].id].caused_by == (d["immediate"].id,)
    assert by_id[d["crosszone"].id].caused_by == (d["conflict"].id,)
    assert by_id[d["nat"].id].caused_by == (d["crosszone"].id,)
    assert by_id[d["nopdb"].id].caused_by == ()

    assert len(chains) == 2
    assert {c.symptom for c in chains} == {d["pending"].id, d["nat"].id}
    for c in chains:
        assert c.root_causes == (d["immediate"].id,)
    pending = next(c for c in chains if c.symptom == d["pending"].id)
    nat = next(c for c in chains if c.symptom == d["nat"].id)
    assert pending.path == (d["pending"].id, d["conflict"].id, d["immediate"].id)
    assert pending.loops == (Loop.COMPUTE, Loop.STORAGE)
    assert nat.path == (d["nat"].id, d["crosszone"].id, d["conflict"].id, d["immediate"].id)
    assert nat.loops == (Loop.NETWORK, Loop.STORAGE)
    assert pending.summary == (
        f"Pod {NS}/checkout-6f9c (compute) ← PVC {NS}/checkout-cache (storage) ← StorageClass gp2 (storage): "
        "root cause StorageClass gp2 binds volumes Immediately"
    )
    assert nat.summary.startswith(f"NatGateway {NAT} (network) ← Service {NS}/orders-db (network) ← ")
    # most severe symptom first, then id
    keys = [(-int(by_id[c.symptom].severity), c.symptom) for c in chains]
    assert keys == sorted(keys)


def test_link_keeps_order_and_is_deterministic() -> None:
    d = list(domino().values())
    a, chains_a = link(d, world(), None)
    b, chains_b = link(list(reversed(d)), world(), None)
    assert [f.id for f in a] == [f.id for f in d]
    assert {f.id: f.caused_by for f in a} == {f.id: f.caused_by for f in b}
    assert chains_a == chains_b


def test_caused_by_sorted_most_severe_first() -> None:
    pending = finding(UNSCHED, POD)
    frag = finding("compute.fragmentation", POD)  # medium
    conflict = finding("storage.zone-conflict", f"PersistentVolumeClaim/{NS}/checkout-cache")  # high
    linked, chains = link([frag, pending, conflict], world(), None)
    assert next(f for f in linked if f.id == pending.id).caused_by == (conflict.id, frag.id)
    assert len(chains) == 1
    assert set(chains[0].root_causes) == {conflict.id, frag.id}
    assert "root causes" in chains[0].summary


def _always(s: Finding, c: Finding, cluster: object, facts: object) -> bool:
    return True


def _subject_keys_of(kind: str):  # type: ignore[no-untyped-def]
    return lambda s, cluster, facts: [ObjectRef(kind, s.subject.namespace, s.subject.name)]


def test_mutual_links_do_not_make_a_cycle() -> None:
    a = finding(UNSCHED, POD, (f"PersistentVolumeClaim/{NS}/checkout-cache",))
    b = finding("storage.zone-conflict", f"PersistentVolumeClaim/{NS}/checkout-cache", (POD,))
    both_ways = (
        Link(UNSCHED, "storage.zone-conflict", _always, "mounts", lambda s, cl, fa: s.related),
        Link("storage.zone-conflict", UNSCHED, _always, "mounted by", lambda s, cl, fa: s.related),
    )
    linked, chains = link([a, b], world(), None, links=both_ways)
    by_id = {f.id: f for f in linked}
    assert by_id[a.id].caused_by == (b.id,)
    assert by_id[b.id].caused_by == ()
    assert len(chains) == 1
    assert chains[0].path == (a.id, b.id)


def test_three_way_cycle_is_cut() -> None:
    rules = ("compute.unschedulable", "storage.zone-conflict", "network.cross-zone-traffic")
    fs = [finding(r, f"Pod/{NS}/p") for r in rules]
    ring = tuple(Link(rules[i], rules[(i + 1) % 3], _always, "x", _subject_keys_of("Pod")) for i in range(3))
    linked, chains = link(fs, world(), None, links=ring)
    edges = {(f.id, c) for f in linked for c in f.caused_by}
    assert len(edges) == 2  # the third edge would close the ring
    assert len(chains) == 1
    assert len(chains[0].path) == 3


def test_link_looks_up_candidates_instead_of_trying_all_pairs() -> None:
    calls = 0

    def counting(s: Finding, c: Finding, cluster: object, facts: object) -> bool:
        nonlocal calls
        calls += 1
        return True

    n = 1500
    symptoms = [finding(UNSCHED, f"Pod/{NS}/p-{i}") for i in range(n)]
    causes = [finding("compute.fragmentation", f"Pod/{NS}/p-{i}") for i in range(n)]
    table = (Link(UNSCHED, "compute.fragmentation", counting, "same pod", _subject_keys_of("Pod")),)
    linked, chains = link(symptoms + causes, world(), None, links=table)
    assert calls == n
    assert len(chains) == n
    assert all(f.caused_by for f in linked[:n])


def test_missing_requests_fan_out_is_capped() -> None:
    pending = finding(UNSCHED, f"Pod/{NS}/train-5", message=INSUFFICIENT)
    causes = [finding("compute.missing-requests", f"Deployment/{NS}/batch-{i:02}", ("Node/node-a",)) for i in range(25)]
    linked, _ = link([pending, *causes], world(), None)
    limit = next(lk.limit for lk in LINKS if lk.cause_rule == "compute.missing-requests")
    assert limit is not None
    assert linked[0].caused_by == tuple(c.id for c in sorted(causes, key=lambda f: f.sort_key)[:limit])


def test_link_why_names_the_relation() -> None:
    d = domino()
    assert link_why(d["pending"], d["conflict"]) == "mounts"
    assert link_why(d["conflict"], d["immediate"]) == "StorageClass of"
    assert link_why(d["nopdb"], d["immediate"]) == "caused by"


def test_no_links_no_chains() -> None:
    d = domino()
    fs = [d["nopdb"], d["immediate"]]
    linked, chains = link(fs, world(), None)
    assert linked == fs
    assert chains == []


# --------------------------------------------------------------------------- through a real scan


def _scan(cloud: object) -> Report:
    from chains_domino import domino_objects
    from factories import cluster

    import r2c_clouds

    return r2c_clouds.scan(cluster(domino_objects(), name="shop-prod"), cloud=cloud)  # type: ignore[arg-type]


def test_scan_links_the_domino_into_two_chains_sharing_the_root_cause() -> None:
    from chains_domino import domino_facts

    from r2c_clouds.providers.recorded import RecordedProvider

    report = _scan(RecordedProvider(domino_facts()))
    by_id = {f.id: f for f in report.findings}
    (root,) = [f for f in report.findings if f.rule == "storage.immediate-binding"]
    assert root.subject == ObjectRef("StorageClass", None, "gp2")
    assert len(report.chains) == 2
    symptoms = {by_id[c.symptom].rule: c for c in report.chains}
    assert set(symptoms) == {"storage.statefulset-rollout-stuck", "network.nat-saturation"}
    for c in report.chains:
        assert c.root_causes == (root.id,)
        assert "root cause StorageClass gp2 binds volumes Immediately" in c.summary
    assert symptoms["network.nat-saturation"].loops == (Loop.NETWORK, Loop.STORAGE)
    assert [by_id[i].rule for i in symptoms["network.nat-saturation"].path] == [
        "network.nat-saturation", "network.cross-zone-traffic", "storage.zone-conflict", "storage.immediate-binding"]
    assert symptoms["storage.statefulset-rollout-stuck"].loops == (Loop.STORAGE, Loop.COMPUTE)

    e = report.explain(f"Pod/{NS}/orders-db-1")
    assert [by_id[c.symptom].rule for c in e.chains] == ["storage.statefulset-rollout-stuck", "network.nat-saturation"]
    texts = [(t.loop, t.text) for t in e.timeline]
    assert (Loop.COMPUTE, f"Node {NEW_NODE} created in us-east-1b (node pool workers-b)") in texts
    assert any(loop is Loop.COMPUTE and text.startswith(f"Node {NEW_NODE} RegisteredNode") for loop, text in texts)
    assert not any(text.startswith("Node node-a created") for _, text in texts)  # there before the incident
    assert any(loop is Loop.STORAGE and "ProvisioningSucceeded" in text for loop, text in texts)
    times = [t.time for t in e.timeline]
    assert times == sorted(times)
    nat = report.explain(f"NatGateway/{NAT}")
    assert nat.timeline[-1].loop is Loop.NETWORK
    assert nat.timeline[-1].source_ref == f"aws cloudwatch:GetMetricData {NAT}"


def test_scan_without_cloud_stops_the_network_chain_at_cross_zone_traffic() -> None:
    report = _scan("none")
    by_id = {f.id: f for f in report.findings}
    assert not any(f.rule == "network.nat-saturation" for f in report.findings)
    assert {by_id[c.symptom].rule for c in report.chains} == {"storage.statefulset-rollout-stuck", "network.cross-zone-traffic"}
    assert {by_id[r].rule for c in report.chains for r in c.root_causes} == {"storage.immediate-binding"}


# --------------------------------------------------------------------------- invariants on random link tables

_RULES = ("compute.unschedulable", "storage.zone-conflict", "network.cross-zone-traffic", "storage.immediate-binding")


@settings(max_examples=60, deadline=None)
@given(
    subjects=st.lists(st.tuples(st.sampled_from(_RULES), st.integers(0, 3)), min_size=1, max_size=12, unique=True),
    pairs=st.lists(st.tuples(st.sampled_from(_RULES), st.sampled_from(_RULES)), max_size=8, unique=True),
)
def test_random_link_tables_give_acyclic_graphs_and_sound_chains(
    subjects: list[tuple[str, int]], pairs: list[tuple[str, str]]
) -> None:
    fs = [finding(rule, f"Pod/{NS}/p-{n}") for rule, n in subjects]
    table = tuple(Link(a, b, _always, "x", _subject_keys_of("Pod")) for a, b in pairs)
    linked, chains = link(fs, world(), None, links=table)
    by_id = {f.id: f for f in linked}

    # acyclic: a depth-first walk never meets a finding already on its path
    def walk(fid: str, path: frozenset[str]) -> None:
        assert fid not in path
        for c in by_id[fid].caused_by:
            walk(c, path | {fid})

    for f in linked:
        walk(f.id, frozenset())
    causes = {c for f in linked for c in f.caused_by}
    assert {c.symptom for c in chains} == {f.id for f in linked if f.caused_by and f.id not in causes}
    for c in chains:
        assert c.path[0] == c.symptom
        assert len(set(c.path)) == len(c.path)
        assert c.root_causes and all(not by_id[r].caused_by for r in c.root_causes)
        assert set(c.root_causes) <= set(c.path)
        assert len(set(c.loops)) == len(c.loops)
