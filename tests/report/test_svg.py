"""The pictures: the chain diagram's layout (pure) and drawing, and the timeline, read back
as XML (what a browser would draw), built from hand-made findings."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

import pytest
from report_samples import HOSTILE, make_finding

from r2c_clouds.model.findings import Chain, Evidence, Loop, Severity
from r2c_clouds.report.explain import TimelineEntry
from r2c_clouds.report.svg import LANES, chain_layout, chain_svg, timeline_svg

SVG = "{http://www.w3.org/2000/svg}"


def diamond() -> Chain:
    """A Pending pod (compute) caused by a PVC in another zone (storage) and a NAT gateway
    (network, AWS evidence), both caused by one StorageClass: the shared root cause."""
    root = make_finding("storage.immediate-binding", Severity.MEDIUM, "StorageClass/gp2", "binds Immediately")
    pvc = make_finding("storage.zone-conflict", Severity.HIGH, "PersistentVolumeClaim/shop/cache", "other zone",
                       caused_by=(root.id,))
    nat = make_finding("network.nat-saturation", Severity.HIGH, f"NatGateway/{HOSTILE}", "ports",
                       caused_by=(root.id,), evidence=(Evidence("aws", "cloudwatch:GetMetricData nat-0abc", "1834 errors"),))
    pod = make_finding("compute.unschedulable", Severity.HIGH, "Pod/shop/checkout-0", "Pending",
                       caused_by=(pvc.id, nat.id))
    path = (pod.id, pvc.id, nat.id, root.id)
    return Chain(pod.id, (root.id,), path, (Loop.COMPUTE, Loop.STORAGE, Loop.NETWORK), "pod ← pvc ← gp2",
                 findings=(pod, pvc, nat, root))


def test_layout_columns_lanes_and_the_shared_root_once() -> None:
    chain = diamond()
    lay = chain_layout(chain, {f.id: f for f in chain.findings})
    box = {b.finding.rule: b for b in lay.boxes}

    assert len(lay.boxes) == 4  # the shared root cause is drawn once
    assert {r: b.column for r, b in box.items()} == {
        "compute.unschedulable": 0, "storage.zone-conflict": 1, "network.nat-saturation": 1, "storage.immediate-binding": 2,
    }
    assert {r: b.lane for r, b in box.items()} == {
        "compute.unschedulable": Loop.COMPUTE, "storage.zone-conflict": Loop.STORAGE,
        "network.nat-saturation": Loop.NETWORK, "storage.immediate-binding": Loop.STORAGE,
    }
    assert [b.finding.rule for b in lay.boxes if b.root] == ["storage.immediate-binding"]
    assert box["network.nat-saturation"].clouds == ("AWS",) and box["storage.zone-conflict"].clouds == ()
    # four arrows, each from a symptom to its cause, each pointing right
    where = {b.finding.id: b for b in lay.boxes}
    assert len(lay.arrows) == 4
    assert all(where[a].column < where[b].column and where[a].x < where[b].x for a, b in lay.arrows)
    # the lanes are the five loops, in order, stacked without overlap; boxes inside their lane
    assert [lp for lp, _, _ in lay.lanes] == list(LANES)
    tops = [(t, t + h) for _, t, h in lay.lanes]
    assert all(a[1] == b[0] for a, b in itertools.pairwise(tops))
    band = {lp: (t, t + h) for lp, t, h in lay.lanes}
    assert all(band[b.lane][0] <= b.y and b.y + 60 <= band[b.lane][1] for b in lay.boxes)
    assert max(b.x for b in lay.boxes) + 200 < lay.width


def test_a_longer_route_pushes_a_cause_right_so_arrows_never_point_back() -> None:
    a = make_finding("storage.immediate-binding", Severity.MEDIUM, "StorageClass/gp2", "root")
    b = make_finding("storage.zone-conflict", Severity.HIGH, "PersistentVolumeClaim/shop/c", "mid", caused_by=(a.id,))
    s = make_finding("compute.unschedulable", Severity.HIGH, "Pod/shop/p", "top", caused_by=(b.id, a.id))
    chain = Chain(s.id, (a.id,), (s.id, b.id, a.id), (Loop.COMPUTE,), "x", findings=(s, b, a))
    lay = chain_layout(chain, {f.id: f for f in chain.findings})
    cols = {bx.finding.id: bx.column for bx in lay.boxes}
    assert cols == {s.id: 0, b.id: 1, a.id: 2}


def test_svg_has_one_linked_box_per_finding_and_escapes_names() -> None:
    chain = diamond()
    text = chain_svg(chain)
    root = ET.fromstring(text)  # well-formed XML, even with a hostile object name
    assert HOSTILE not in text
    links = root.findall(f".//{SVG}a")
    assert sorted(a.get("href") for a in links) == sorted(f"#f-{f.id}" for f in chain.findings)
    assert int(root.get("data-findings")) == 4
    assert len(root.findall(f".//{SVG}path[@class='r2c-arrow']")) == 4
    assert [a.get("data-finding") for a in links if a.get("data-root")] == [chain.root_causes[0]]
    badges = [g for g in root.iter(f"{SVG}g") if g.get("class") == "r2c-cloud"]
    assert len(badges) == 1 and badges[0].find(f"{SVG}text").text == "AWS"
    lanes = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "r2c-lane"]
    assert lanes == ["identity", "compute", "network", "storage", "observability"]
    # two diagrams on one page do not share an arrowhead id
    other = make_finding("compute.unschedulable", Severity.HIGH, "Pod/shop/other", "x")
    marker = root.find(f".//{SVG}marker").get("id")
    assert marker != ET.fromstring(chain_svg(Chain(other.id, (), (other.id,), (), "y", findings=(other,)))).find(f".//{SVG}marker").get("id")


def _entry(time: str, loop: Loop, text: str, ref: str) -> TimelineEntry:
    return TimelineEntry(time=time, loop=loop, text=text, source_ref=ref)


def test_timeline_marks_in_lanes_in_time_order() -> None:
    entries = [
        _entry("2026-11-25T09:10:00Z", Loop.NETWORK, "NAT saturating", "aws cloudwatch:GetMetricData nat-0abc"),
        _entry("2026-11-25T09:00:00Z", Loop.COMPUTE, "FailedScheduling", "Event/shop/p.1"),
        _entry("2026-11-25T09:03:00.5Z", Loop.STORAGE, "FailedAttachVolume", "Event/shop/p.2"),
        _entry("not a time", Loop.STORAGE, "dropped", "Event/shop/p.3"),
    ]
    root = ET.fromstring(timeline_svg(entries))
    marks = [g for g in root.iter(f"{SVG}g") if g.get("class") == "r2c-mark"]
    assert root.get("data-marks") == "3" and len(marks) == 3
    assert [m.get("data-loop") for m in marks] == ["compute", "storage", "network"]  # oldest first
    assert [m.get("data-cloud") for m in marks] == ["false", "false", "true"]
    xs = []
    for m in marks:
        circle = m.find(f"{SVG}circle")
        xs.append(float(circle.get("cx")) if circle is not None else float(m.find(f"{SVG}path").get("d")[1:].split(",")[0]))
    assert xs == sorted(xs) and xs[0] < xs[1] < xs[2]
    # 09:00 → 09:03 is 3/10 of the way to 09:10
    assert (xs[1] - xs[0]) / (xs[2] - xs[0]) == pytest.approx(0.3, abs=0.01)
    keys = [t for t in root.iter(f"{SVG}text") if t.get("class") == "r2c-key"]
    assert [k.findall(f"{SVG}tspan")[1].text for k in keys] == ["09:00:00", "09:03:00", "09:10:00"]


def test_timeline_without_times_says_so() -> None:
    root = ET.fromstring(timeline_svg([]))
    assert root.get("data-marks") == "0"
    assert any(t.text == "no timed events" for t in root.iter(f"{SVG}text"))
