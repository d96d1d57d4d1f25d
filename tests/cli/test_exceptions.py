"""Exceptions: a file (rules, match, reason, expires) and r2c-clouds/ignore annotations. An
excepted finding leaves the verdict but stays visible (JSON suppressed, SARIF suppressions);
an expired exception warns and the finding counts again; one that matched nothing is stale."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

import r2c_clouds as r2c
from r2c_clouds.cli import main
from r2c_clouds.errors import BadInputError
from r2c_clouds.exceptions import apply, load_exceptions

HIGH = ("compute.node-pool-zone-gap", "compute.unschedulable", "network.nat-saturation", "storage.zone-conflict")


def _file(tmp_path: Path, text: str) -> Path:
    f = tmp_path / "exceptions.yaml"
    f.write_text(text)
    return f


def test_the_file_accepts_findings_with_a_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = _file(tmp_path, """\
exceptions:
  - rules: ["compute.*", network.nat-saturation]
    match: {namespace: "*", cluster: shop-prod}
    reason: accepted while the zone move is planned
    expires: 2999-03-31
  - rules: [storage.zone-conflict]
    reason: the PVC is being migrated
  - rules: [identity.cluster-admin-sprawl]
    match: {kind: ClusterRoleBinding, name: nobody-*}
    reason: never matches
""")
    code = main(["scan", "--demo", "domino", "--exceptions", str(f), "-o", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err  # every high finding is accepted: the verdict passes
    report = json.loads(out)
    assert not {x["rule"] for x in report["findings"]} & set(HIGH)
    sup = {s["finding"]["rule"]: s for s in report["suppressed"]}
    assert set(HIGH) <= set(sup)
    assert sup["storage.zone-conflict"]["source"] == f"{f}:6"
    assert sup["compute.unschedulable"]["reason"] == "accepted while the zone move is planned"
    assert sup["compute.unschedulable"]["expires"] == "2999-03-31"
    assert [s["source"] for s in report["exceptions"]["stale"]] == [f"{f}:8"]


def test_an_expired_exception_warns_and_the_finding_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = _file(tmp_path, "exceptions:\n  - rules: [network.nat-saturation]\n    reason: old\n    expires: 2020-01-01\n")
    code = main(["scan", "--demo", "domino", "--exceptions", str(f), "-o", "json"])
    out, err = capsys.readouterr()
    assert code == 1
    assert f"warning: exception {f}:2 expired on 2020-01-01" in err
    report = json.loads(out)
    assert "network.nat-saturation" in {x["rule"] for x in report["findings"]}
    assert report["exceptions"]["expired"][0]["reason"] == "old"


def test_annotations_on_the_object_or_its_namespace(tmp_path: Path) -> None:
    cluster = r2c.demo("domino")
    report = r2c.scan(cluster, cloud="recorded")
    target = next(x for x in report.findings if x.rule == "compute.no-pdb")
    obj: Any = cluster.object_of(target.subject)
    ann = {"r2c-clouds/ignore": "compute.no-pdb", "r2c-clouds/ignore-reason": "singleton by design",
           "r2c-clouds/ignore-until": "2999-01-01"}
    import msgspec

    patched = msgspec.structs.replace(obj, metadata=msgspec.structs.replace(obj.metadata, annotations=ann))
    deployments = tuple(patched if d is obj else d for d in cluster.deployments)
    import attrs

    c2 = attrs.evolve(cluster, deployments=deployments)
    applied = apply(report.findings, c2, [], today=dt.date(2026, 12, 6))
    (sup,) = [s for s in applied.suppressed if s.finding.id == target.id]
    assert sup.reason == "singleton by design" and sup.source == f"annotation r2c-clouds/ignore on {target.subject}"
    assert target not in applied.kept
    later = apply(report.findings, c2, [], today=dt.date(3000, 1, 1))
    assert target in later.kept  # past ignore-until: counts again


def test_sarif_marks_suppressed_results(tmp_path: Path) -> None:
    f = _file(tmp_path, "exceptions:\n  - rules: [storage.zone-conflict]\n    reason: migrating\n")
    report = r2c.scan(r2c.demo("domino"), cloud="recorded", exceptions=f)
    sarif = json.loads(report.to_sarif())
    suppressed = [r for r in sarif["runs"][0]["results"] if r.get("suppressions")]
    assert len(suppressed) == 1 and suppressed[0]["ruleId"] == "storage.zone-conflict"
    assert suppressed[0]["suppressions"][0]["justification"].startswith("migrating (")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("exceptions:\n  - rules: [a.b]\n", ":2: an exception needs a reason"),
        ("exceptions:\n  - reason: x\n", ":2: rules must be a rule id or a list of them"),
        ("exceptions:\n  - rules: [a]\n    reason: x\n    expires: someday\n", "expires 'someday' is not a date"),
        ("exceptions:\n  - rules: [a]\n    reason: x\n    match: {zone: a}\n", "match takes"),
        ("- just a list\n", "expected a mapping with a list under 'exceptions'"),
    ],
)
def test_bad_exceptions_files_are_one_line(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(BadInputError) as info:
        load_exceptions(_file(tmp_path, text))
    assert problem in str(info.value) and "\n" not in str(info.value)
