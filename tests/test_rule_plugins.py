"""Custom rules, the way teams add providers: a package registers rules through the
entry-point group ``r2c_clouds.rules`` with the built-ins' decorator. The test builds and
installs a tiny plugin package (pip, into a target directory) and runs r2c with it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from r2c_clouds.model.findings import Loop, Severity
from r2c_clouds.rules import rule

PLUGIN = '''
from r2c_clouds.model.findings import Loop, ObjectRef, Severity
from r2c_clouds.rules import rule


@rule(
    "acme.no-team-label",
    loop=Loop.COMPUTE,
    severity=Severity.HIGH,
    title="Deployment without a team label",
    rationale="Acme pages the owning team; without the label nobody is paged.",
    remediation="Add metadata.labels.team.",
    docs="https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/",
    needs=("Deployment",),
)
def no_team_label(ctx):
    for d in ctx.cluster.deployments:
        if "team" not in d.metadata.labels:
            yield ctx.finding(ObjectRef("Deployment", d.metadata.namespace, d.metadata.name),
                              f"Deployment {d.metadata.namespace}/{d.metadata.name} has no team label")
'''


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("acme-src")
    (src / "acme_r2c_rules").mkdir()
    (src / "acme_r2c_rules" / "__init__.py").write_text(PLUGIN)
    (src / "pyproject.toml").write_text(textwrap.dedent('''
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"
        [project]
        name = "acme-r2c-rules"
        version = "0.1"
        [project.entry-points."r2c_clouds.rules"]
        acme = "acme_r2c_rules"
        [tool.setuptools]
        packages = ["acme_r2c_rules"]
    '''))
    target = tmp_path_factory.mktemp("acme-site")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--no-index", "--target", str(target), str(src)], check=True, timeout=300,
                   env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    return target


def _r2c(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "r2c_clouds", *args], capture_output=True, text=True,
                          env=env, timeout=120, cwd=Path(__file__).resolve().parents[1])


def test_an_installed_rule_plugin_is_listed_and_runs(site: Path, tmp_path: Path) -> None:
    listed = _r2c(site, "rules", "-o", "json")
    assert listed.returncode == 0, listed.stderr
    assert "acme.no-team-label" in {r["id"] for r in json.loads(listed.stdout)}
    scan = _r2c(site, "scan", "--demo", "domino", "-o", "json", "--rule", "acme.no-team-label")
    assert scan.returncode == 1, scan.stderr  # its findings are high
    report = json.loads(scan.stdout)
    assert {f["rule"] for f in report["findings"]} == {"acme.no-team-label"}
    assert {f["loop"] for f in report["findings"]} == {"compute"}
    ex = tmp_path / "ex.yaml"
    ex.write_text("exceptions:\n  - rules: ['acme.*']\n    reason: labels come next sprint\n")
    excepted = _r2c(site, "scan", "--demo", "domino", "-o", "sarif", "--rule", "acme.no-team-label",
                    "--exceptions", str(ex))
    assert excepted.returncode == 0, excepted.stderr
    results = json.loads(excepted.stdout)["runs"][0]["results"]
    assert results and all(r.get("suppressions") for r in results)


def test_a_broken_plugin_is_not_checked_and_the_rest_runs(tmp_path: Path) -> None:
    dist = tmp_path / "broken_r2c-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-r2c\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[r2c_clouds.rules]\nbroken = no_such_module_r2c\n")
    done = _r2c(tmp_path, "scan", "--demo", "domino", "-o", "json")
    assert done.returncode == 1, done.stderr
    reasons = {nc["what"]: nc["reason"] for nc in json.loads(done.stdout)["not_checked"]}
    assert reasons["rules plugin broken"].startswith("cannot be loaded: ModuleNotFoundError")


def test_a_namespaced_id_must_name_its_loop() -> None:
    with pytest.raises(ValueError, match="must say loop"):
        rule("acme.x", severity=Severity.LOW, title="t", rationale="r", remediation="m", docs="d")
    with pytest.raises(ValueError, match="its id says loop storage"):
        rule("storage.x", loop=Loop.COMPUTE, severity=Severity.LOW, title="t", rationale="r", remediation="m", docs="d")
