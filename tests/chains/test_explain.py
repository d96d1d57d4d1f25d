"""``explain``: findings, chains through an object, the causes tree and the loop-tagged timeline."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from chains_domino import NAT, NEW_NODE, NS, PV_CACHE, domino, world

from r2c_clouds.chains import link
from r2c_clouds.errors import BadInputError, ObjectNotFoundError
from r2c_clouds.model import kube as k
from r2c_clouds.model.findings import Loop, ObjectRef
from r2c_clouds.report import Report, Stats
from r2c_clouds.report.explain import Explanation, event_loop, explain


def _report() -> Report:
    cluster = world()
    findings, chains = link(list(domino().values()), cluster, None)
    return Report(
        cluster=cluster, facts=None, findings=tuple(findings), chains=tuple(chains), checklist=(),
        not_checked=(), stats=Stats(), generated_at="2026-11-25T09:30:00Z",
    )


def _times(e: Explanation) -> list[datetime]:
    return [datetime.fromisoformat(t.time.replace("Z", "+00:00")) for t in e.timeline]


def test_explain_pending_pod_gives_its_chain_and_causes_tree() -> None:
    d = domino()
    e = _report().explain(f"Pod/{NS}/checkout-6f9c")
    assert e.subject == ObjectRef("Pod", NS, "checkout-6f9c")
    assert [f.id for f in e.findings] == [d["pending"].id]
    # its own chain first, then the NAT chain whose cross-zone finding names it as a client
    assert [c.symptom for c in e.chains] == [d["pending"].id, d["nat"].id]
    (root,) = e.causes
    assert root.finding.id == d["pending"].id
    (conflict,) = root.causes
    assert (conflict.finding.id, conflict.why) == (d["conflict"].id, "mounts")
    (immediate,) = conflict.causes
    assert (immediate.finding.id, immediate.why, immediate.causes) == (d["immediate"].id, "StorageClass of", ())


def test_timeline_is_time_sorted_and_tagged_with_loops() -> None:
    e = _report().explain(f"Pod/{NS}/checkout-6f9c")
    times = _times(e)
    assert times == sorted(times)
    by_text = {t.text.split(":")[0]: t for t in e.timeline}
    assert by_text[f"Pod {NS}/checkout-6f9c FailedScheduling"].loop is Loop.COMPUTE
    assert by_text[f"Pod {NS}/checkout-6f9c TriggeredScaleUp"].loop is Loop.COMPUTE
    assert by_text[f"Pod {NS}/checkout-6f9c FailedAttachVolume"].loop is Loop.STORAGE
    assert by_text[f"PVC {NS}/checkout-cache ProvisioningSucceeded"].loop is Loop.STORAGE
    assert by_text[f"Node {NEW_NODE} RegisteredNode"].loop is Loop.COMPUTE
    texts = [t.text for t in e.timeline]
    # the node added during the incident counts, the nodes that were there before do not
    assert any(t.startswith(f"Node {NEW_NODE} created in us-east-1b (node pool workers-b)") for t in texts)
    assert not any(t.startswith("Node node-a created") for t in texts)
    # PV creation and pod start are object timestamps
    assert any(t.startswith("PV pvc-3f1a9c2e") and "us-east-1a" in t for t in texts)
    assert any(t == f"Pod {NS}/checkout-6f9c started on node {NEW_NODE}" for t in texts)
    # the repeated attach failure says how often it happened
    assert any("FailedAttachVolume" in t and "(x4)" in t for t in texts)
    # evidence that repeats an Event already on the timeline is not shown twice
    assert sum("FailedScheduling" in t for t in texts) == 1


def test_explain_root_cause_shows_both_chains_and_cloud_evidence() -> None:
    d = domino()
    e = _report().explain("StorageClass/gp2")
    assert {c.symptom for c in e.chains} == {d["pending"].id, d["nat"].id}
    nat = [t for t in e.timeline if t.source_ref == f"aws cloudwatch:GetMetricData {NAT}"]
    assert len(nat) == 1
    assert nat[0].loop is Loop.NETWORK
    assert e.timeline[-1] == nat[0]  # the NAT gateway saturates last, as in the seed's domino
    assert _times(e) == sorted(_times(e))


def test_to_text_draws_tree_tags_and_timeline() -> None:
    text = _report().explain(f"Pod/{NS}/checkout-6f9c").to_text(width=240)
    assert "[compute] Pod shop/checkout-6f9c" in text
    assert "mounts → [storage] PVC shop/checkout-cache" in text
    assert "StorageClass of → [storage] StorageClass gp2" in text
    assert "root cause StorageClass gp2 binds volumes Immediately" in text
    lines = text.splitlines()
    sched = next(line for line in lines if "FailedScheduling" in line)
    assert sched.startswith("09:00:00  COMPUTE  Pod shop/checkout-6f9c FailedScheduling: 0/3 nodes are available")
    attach = next(line for line in lines if "FailedAttachVolume" in line)
    assert attach.startswith("09:03:10  STORAGE")
    assert lines.index(sched) < lines.index(attach)
    assert "\x1b[" not in text
    assert "\x1b[" in _report().explain(f"Pod/{NS}/checkout-6f9c").to_text(color=True)


def test_to_dict_is_json_safe() -> None:
    d = domino()
    data = _report().explain(f"Pod/{NS}/checkout-6f9c").to_dict()
    back = json.loads(json.dumps(data))
    assert back["subject"] == {"kind": "Pod", "namespace": NS, "name": "checkout-6f9c"}
    assert back["chains"][0]["loops"] == ["compute", "storage"]
    assert back["chains"][1]["loops"] == ["network", "storage"]
    assert back["causes"][0]["causes"][0]["finding"] == d["conflict"].id
    assert back["timeline"][0]["loop"] in {lp.value for lp in Loop}
    assert [t["time"] for t in back["timeline"]] == sorted(t["time"] for t in back["timeline"])


@pytest.mark.parametrize("bad", ["Pod", "Pod/shop/x/y", "", "Pod//x", "/x"])
def test_malformed_ref_raises_bad_input(bad: str) -> None:
    with pytest.raises(BadInputError) as err:
        _report().explain(bad)
    assert "\n" not in str(err.value)
    assert "KIND/NAMESPACE/NAME" in str(err.value)


@pytest.mark.parametrize(("bad", "says"), [
    ("Pod/checkout-6f9c", "Pod is namespaced: expected Pod/NAMESPACE/NAME"),
    ("StorageClass/default/gp2", "StorageClass is cluster-scoped: expected StorageClass/NAME"),
])
def test_scope_mismatch_raises_bad_input(bad: str, says: str) -> None:
    with pytest.raises(BadInputError, match=says):
        _report().explain(bad)


@pytest.mark.parametrize("alias", ["pod/shop/checkout-6f9c", "po/shop/checkout-6f9c", "pods/shop/checkout-6f9c"])
def test_kind_aliases_resolve(alias: str) -> None:
    e = _report().explain(alias)
    assert e.subject == ObjectRef("Pod", NS, "checkout-6f9c")
    assert e.findings


def test_non_string_subject_raises_bad_input() -> None:
    with pytest.raises(BadInputError):
        explain(_report(), 42)  # type: ignore[arg-type]


def test_object_without_findings_says_so_with_its_events() -> None:
    e = _report().explain(f"Pod/{NS}/web-1")
    assert e.findings == ()
    assert e.chains == ()
    assert "No findings about Pod/shop/web-1" in e.note
    (pull,) = [t for t in e.timeline if "Failed to pull image" in t.text]
    assert pull.loop is Loop.IDENTITY
    assert "No findings about Pod/shop/web-1" in e.to_text()


def test_object_named_by_findings_shows_their_chains() -> None:
    d = domino()
    e = _report().explain(f"PersistentVolume/{PV_CACHE}")
    assert e.findings == ()
    assert {c.symptom for c in e.chains} == {d["pending"].id, d["nat"].id}
    assert "takes part in 2 chain(s)" in e.note


def test_unknown_object_is_a_clear_error() -> None:
    with pytest.raises(ObjectNotFoundError) as err:
        _report().explain(f"Pod/{NS}/nope")
    assert str(err.value) == f"Pod/{NS}/nope: not found in test, and no findings about it"
    assert isinstance(err.value, BadInputError) and isinstance(err.value, LookupError)


def test_workload_explains_through_its_pods() -> None:
    d = domino()
    e = _report().explain(f"Deployment/{NS}/checkout")
    ids = {f.id for f in e.findings}
    assert ids == {d["nopdb"].id, d["pending"].id}
    assert [c.symptom for c in e.chains] == [d["pending"].id, d["nat"].id]


def _event(reason: str, message: str, kind: str = "Pod") -> k.Event:
    return k.Event(metadata=k.ObjectMeta(name="x"), involved_object=k.ObjectReference(kind=kind, name="x"),
                   reason=reason, message=message)


@pytest.mark.parametrize(("reason", "message", "kind", "loop"), [
    ("FailedScheduling", "0/4 nodes are available: 4 Insufficient cpu.", "Pod", Loop.COMPUTE),
    ("FailedMount", "MountVolume.MountDevice failed for volume", "Pod", Loop.STORAGE),
    ("Unhealthy", "Readiness probe failed: Get \"http://10.0.1.7:8080/healthz\": context deadline exceeded", "Pod", Loop.NETWORK),
    ("Unhealthy", "Liveness probe failed: HTTP probe failed with statuscode: 500", "Pod", Loop.COMPUTE),
    ("Failed", "Failed to pull image \"nginx:1.27\": rpc error", "Pod", Loop.IDENTITY),
    ("BackOff", "Back-off pulling image \"nginx:1.27\"", "Pod", Loop.IDENTITY),
    ("BackOff", "Back-off restarting failed container app in pod api_shop", "Pod", Loop.COMPUTE),
    ("SomethingNew", "", "PersistentVolumeClaim", Loop.STORAGE),
    ("SomethingNew", "", "Service", Loop.NETWORK),
])
def test_event_loop(reason: str, message: str, kind: str, loop: Loop) -> None:
    assert event_loop(_event(reason, message, kind)) is loop


def test_str_of_an_explanation_is_its_text() -> None:
    import r2c_clouds as r2c

    report = r2c.scan(r2c.demo("domino"))
    explanation = report.explain("Pod/shop/checkout-6f9c7d8b5-x2x7k")
    assert str(explanation) == explanation.to_text()
    assert "storage.zone-conflict" in str(explanation)
