"""The docs, README, CI script and benchmark generator stay true to the code."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

from r2c_clouds.model.findings import Loop, Severity
from r2c_clouds.providers.recorded import load_facts
from r2c_clouds.rules import RuleSpec

ROOT = Path(__file__).resolve().parents[2]


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def gen_rules() -> ModuleType:
    return _load(ROOT / "docs" / "gen_rules.py", "r2c_docs_gen_rules")


@pytest.fixture(scope="module")
def generate() -> ModuleType:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    return _load(ROOT / "benchmarks" / "generate.py", "generate")


def _ci_test_command() -> str:
    text = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    match = re.search(r'^TEST_COMMAND="(.+)"$', text, re.MULTILINE)
    assert match, ".ci/run must define TEST_COMMAND"
    return match.group(1)


def _readme_code_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```bash\n(.*?)```", text, re.DOTALL)


def test_readme_test_command_is_what_ci_runs() -> None:
    command = _ci_test_command()
    blocks = [b.strip() for b in _readme_code_blocks()]
    assert command in blocks, f"README.md has no ```bash block that is exactly: {command}"
    assert "pytest" in command


def test_ci_runs_its_test_command_verbatim() -> None:
    text = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert 'eval "$TEST_COMMAND"' in text
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text


def test_readme_first_command_installs_and_runs_the_demo() -> None:
    first = _readme_code_blocks()[0].strip()
    assert first == "python3 -m pip install . && r2c scan --demo domino"


def test_committed_rule_catalogue_matches_the_registry(gen_rules: ModuleType) -> None:
    committed = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == gen_rules.render(), "docs/rules.md is stale: run `python docs/gen_rules.py`"


def _spec(rid: str, **kw: object) -> RuleSpec:
    loop = Loop(rid.split(".", 1)[0])
    defaults: dict[str, object] = {
        "severity": Severity.HIGH, "title": "A title | with a pipe", "rationale": "Because.",
        "remediation": "Fix it.", "docs": "https://kubernetes.io/docs/", "needs": ("Pod",),
    }
    defaults.update(kw)
    return RuleSpec(id=rid, loop=loop, **defaults)  # type: ignore[arg-type]


def test_catalogue_lists_each_rule_with_its_metadata(gen_rules: ModuleType) -> None:
    specs = [
        _spec("compute.unschedulable", symptom=True),
        _spec("storage.zone-conflict", severity=Severity.MEDIUM, needs_cloud=("disks",)),
    ]
    text = gen_rules.render(specs)
    assert "2 rules in 2 loops." in text
    assert "| [`compute.unschedulable`](#compute-unschedulable) | high | symptom | A title \\| with a pipe |" in text
    assert "### `storage.zone-conflict` {#storage-zone-conflict}" in text
    assert "| medium | risk | `Pod` | `disks` |" in text
    assert text.index("## Compute") < text.index("## Storage")


def test_catalogue_of_no_rules_says_so(gen_rules: ModuleType) -> None:
    text = gen_rules.render([])
    assert "No rules are registered yet." in text
    assert "## " not in text


def test_gen_rules_check_fails_on_a_stale_file(gen_rules: ModuleType, tmp_path: Path) -> None:
    stale = tmp_path / "rules.md"
    stale.write_text("# old\n", encoding="utf-8")
    assert gen_rules.main(["--check", "--output", str(stale)]) == 1
    assert gen_rules.main(["--output", str(stale)]) == 0
    assert gen_rules.main(["--check", "--output", str(stale)]) == 0


def test_cloud_facts_example_in_the_docs_loads(tmp_path: Path) -> None:
    text = (ROOT / "docs" / "snapshot-format.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```json\n(.*?)```", text, re.DOTALL)
    examples = [b for b in blocks if "r2c_clouds/cloud-facts/v1" in b]
    assert examples, "docs/snapshot-format.md must show a cloud-facts.json example"
    path = tmp_path / "cloud-facts.json"
    path.write_text(examples[0], encoding="utf-8")
    facts = load_facts(path)
    doc = json.loads(examples[0])["facts"]
    assert facts.provider == doc["provider"]
    assert [d.volume_handle for d in facts.disks] == [d["volume_handle"] for d in doc["disks"]]
    assert facts.node_pools[0].zones == tuple(doc["node_pools"][0]["zones"])
    assert [nc.what for nc in facts.not_checked] == ["egress_gateways"]


def test_mkdocs_nav_points_at_existing_pages() -> None:
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    pages = re.findall(r":\s+([\w/.-]+\.md)\s*$", text, re.MULTILINE)
    assert "rules.md" in pages
    missing = [p for p in pages if not (ROOT / "docs" / p).is_file()]
    assert missing == []


def test_generated_cluster_is_api_shaped(generate: ModuleType, tmp_path: Path) -> None:
    path = tmp_path / "cluster.json"
    counts = generate.write_list(4, path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["kind"] == "List"
    pods = [i for i in doc["items"] if i["kind"] == "Pod"]
    assert len(pods) == counts["pods"] == 4 * 30
    pod = pods[0]
    assert pod["apiVersion"] == "v1"
    assert len(pod["spec"]["containers"]) == 2
    assert [c["type"] for c in pod["status"]["conditions"]] == [
        "PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled",
    ]
    assert pod["metadata"]["ownerReferences"][0]["kind"] in {"ReplicaSet", "StatefulSet", "DaemonSet"}
    assert pod["metadata"]["managedFields"]
    claims = {i["metadata"]["name"] for i in doc["items"] if i["kind"] == "PersistentVolumeClaim"}
    mounted = {
        v["persistentVolumeClaim"]["claimName"]
        for p in pods for v in p["spec"]["volumes"] if "persistentVolumeClaim" in v
    }
    assert mounted
    assert mounted == claims


def test_generated_pages_chain_like_an_api_server(generate: ModuleType) -> None:
    pages = generate.list_pages(20, page_size=250)["pods"]
    seen = 0
    for k, raw in enumerate(pages):
        page = json.loads(raw)
        assert page["kind"] == "PodList"
        assert all("kind" not in item for item in page["items"])
        seen += len(page["items"])
        token = page["metadata"].get("continue")
        if k < len(pages) - 1:
            assert token == f"pods:{k + 1}"
            assert page["metadata"]["remainingItemCount"] == 20 * 30 - seen
        else:
            assert token is None
    assert seen == 20 * 30


def test_generated_names_never_repeat(generate: ModuleType) -> None:
    synth = generate.Synth(1)
    drawn = iter(["aaaaa", "aaaaa", "bbbbb"])
    synth.hash = lambda n=10: next(drawn)
    assert synth.unique("kube-proxy-") == "kube-proxy-aaaaa"
    assert synth.unique("kube-proxy-") == "kube-proxy-bbbbb"


def test_readme_python_example_runs_on_the_demo(capsys: pytest.CaptureFixture[str]) -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"## Python API\n\n```python\n(.*?)```", text, re.DOTALL)
    assert match, "README.md must show the Python API"
    code = match.group(1)
    assert 'r2c.load_snapshot("dump/")' in code
    code = code.replace('r2c.load_snapshot("dump/")', 'r2c.demo("domino")')
    if importlib.util.find_spec("pandas") is None:
        code = code.replace("; report.to_dataframe()", "")
    exec(compile(code, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "compute.unschedulable" in out
    assert "Pod/shop/checkout-6f9c7d8b5-x2x7k" in out
    assert "StorageClass gp2" in out
