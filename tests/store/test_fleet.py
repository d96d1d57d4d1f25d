"""A fleet of four clusters: three served by loopback API servers (the demos' objects, the
demos' recorded cloud facts) and one unreachable. Scanned in worker processes into the
store; the fleet report cross-checked against each cluster's own single-cluster JSON."""

from __future__ import annotations

import json
import socket
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from apiserver import DEFAULT_TOKEN, FakeApiServer, load_objects

import r2c_clouds as r2c
from r2c_clouds.cli import main
from r2c_clouds.kube.facts_file import load_facts
from r2c_clouds.kube.kinds import KINDS_BY_NAME
from r2c_clouds.providers.recorded import RecordedProvider

DEMOS = Path(r2c.__file__).parent / "demo"
#: context -> (demo, the kubeconfig's name for its cluster)
CLUSTERS = {"prod-aws": ("domino", "shop-prod"), "prod-azure": ("aks", "aks-payments"), "prod-gcp": ("gke", "gke-prod")}
DOWN = "prod-down"  # a context whose API server is not there


def _demo_objects(demo: str) -> list[dict[str, Any]]:
    return [o for o in load_objects(DEMOS / demo / "cluster.json") if o["kind"] in KINDS_BY_NAME]


@pytest.fixture(scope="module")
def fleet_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A kubeconfig with four contexts; three API servers running for the module."""
    servers = {ctx: FakeApiServer(_demo_objects(demo)).start() for ctx, (demo, _) in CLUSTERS.items()}
    with socket.socket() as s:  # a loopback port nothing listens on
        s.bind(("127.0.0.1", 0))
        down = f"http://127.0.0.1:{s.getsockname()[1]}"
    clusters = [{"name": name, "cluster": {"server": servers[ctx].url}} for ctx, (_, name) in CLUSTERS.items()]
    clusters.append({"name": "edge-down", "cluster": {"server": down}})
    contexts = [{"name": ctx, "context": {"cluster": name, "user": "r2c"}} for ctx, (_, name) in CLUSTERS.items()]
    contexts.append({"name": DOWN, "context": {"cluster": "edge-down", "user": "r2c"}})
    path = tmp_path_factory.mktemp("fleet") / "kubeconfig"
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "clusters": clusters, "contexts": contexts,
        "users": [{"name": "r2c", "user": {"token": DEFAULT_TOKEN}}], "current-context": "prod-aws",
    }))
    try:
        yield path
    finally:
        for server in servers.values():
            server.stop()


def _recorded() -> dict[str, Any]:
    return {ctx: RecordedProvider(load_facts(DEMOS / demo / "cloud-facts.json")) for ctx, (demo, _) in CLUSTERS.items()}


def test_a_fleet_scan_records_every_cluster_and_goes_on_past_a_failure(fleet_world: Path, store_url: str) -> None:
    seen: list[tuple[str, str]] = []
    results = r2c.fleet(all_contexts=True, kubeconfigs=[fleet_world], cloud=_recorded(), jobs=3, timeout=20,
                        store=store_url, progress=lambda ctx, stage, _: seen.append((ctx, stage)))
    assert [r.target.context for r in results] == [*CLUSTERS, DOWN]
    by_ctx = {r.target.context: r for r in results}
    assert [by_ctx[c].ok for c in CLUSTERS] == [True, True, True]
    down = by_ctx[DOWN].record
    assert down.status == "failed" and down.cluster.name == "edge-down"
    assert down.error and "127.0.0.1" in down.error
    # each cluster detected its own cloud (from the facts it was given) and account
    clouds = {by_ctx[c].record.cluster.cloud for c in CLUSTERS}
    assert clouds == {"aws", "azure", "gcp"}
    # progress: every cluster ends once, done or failed, after having been listed
    last = dict(seen)  # the last stage each cluster reported
    assert last == {**dict.fromkeys(CLUSTERS, "done"), DOWN: "failed"}
    assert all((ctx, "listing") in seen for ctx in CLUSTERS)
    with r2c.store.open(store_url) as store:
        assert {k.name for k in store.clusters()} == {"shop-prod", "aks-payments", "gke-prod", "edge-down"}
        latest = {r.cluster: r for r in store.latest()}
        assert latest["edge-down"].status == "failed"
        for ctx, (_, name) in CLUSTERS.items():
            assert latest[name].scan_id == by_ctx[ctx].record.scan_id
            assert latest[name].findings == len(by_ctx[ctx].record.findings) > 0


def test_the_fleet_report_agrees_with_each_clusters_own_json(
    fleet_world: Path, store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["fleet", "scan", "--all-contexts", "--kubeconfig", str(fleet_world), "--cloud", "none",
                 "--jobs", "2", "--timeout", "20", "--store", store_url, "-o", "json", "-q"])
    out, err = capsys.readouterr()
    assert code == 4, err  # one cluster failed: the fleet scan is incomplete
    run = json.loads(out)
    assert {c["context"]: c["status"] for c in run["clusters"]} == {
        **dict.fromkeys(CLUSTERS, "complete"), DOWN: "failed"}

    assert main(["fleet", "report", "--store", store_url, "-o", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    fleet = {c["name"]: c for c in report["clusters"]}
    assert set(fleet) == {"shop-prod", "aks-payments", "gke-prod", "edge-down"}
    rules_seen: Counter[str] = Counter()
    for ctx, (_, name) in CLUSTERS.items():
        main(["scan", "--kubeconfig", str(fleet_world), "--context", ctx, "--cloud", "none", "-o", "json", "-q"])
        single = json.loads(capsys.readouterr().out)
        assert single["cluster"]["name"] == name
        by_loop: dict[str, Counter[str]] = {}
        for f in single["findings"]:
            by_loop.setdefault(f["loop"], Counter())[f["severity"]] += 1
        for loop, counts in fleet[name]["by_loop"].items():
            assert {s: n for s, n in counts.items() if n} == dict(by_loop.get(loop, {})), (name, loop)
        assert fleet[name]["first_scan"] is True and fleet[name]["stale"] is False
        rules_seen.update({f["rule"] for f in single["findings"]})
    assert fleet["edge-down"]["judged_scan"] is None and fleet["edge-down"]["stale"] is True
    assert report["not_scanned_recently"] == ["edge-down"]
    top = report["top_rules"][0]
    assert top["clusters"] == max(rules_seen.values())
    assert {r["rule"]: r["clusters"] for r in report["top_rules"]}.items() <= dict(rules_seen).items()

    # the HTML page: one row per cluster, the failure named
    assert main(["fleet", "report", "--store", store_url, "-o", "html", "--output-file", str(tmp_path / "f.html")]) == 0
    page = (tmp_path / "f.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and page.count('<tr><td><a href="#cluster-') == 4
    assert "edge-down" in page and "failed" in page


def test_new_and_resolved_since_the_scan_before(store_url: str) -> None:
    """Two scans of one cluster: what the second added and what it no longer has."""
    import attrs

    from r2c_clouds.store import record_of
    from r2c_clouds.store.summary import fleet_summary

    report = r2c.scan(r2c.demo("domino"), cloud="recorded")
    first = record_of(report)
    gone, *kept = first.findings
    extra = attrs.evolve(kept[0], id="0123456789ab", severity="critical", message="a new critical finding")
    second = attrs.evolve(first, scan_id="f" * 32, generated_at="2099-01-01T00:00:00Z", findings=(extra, *kept))
    first = attrs.evolve(first, generated_at="2098-12-31T00:00:00Z")
    with r2c.store.open(store_url) as store:
        store.record(first)
        store.record(second)
        [c] = fleet_summary(store).clusters
    assert [f.id for f in c.new] == ["0123456789ab"]
    assert [f.id for f in c.resolved] == [gone.id]
    assert c.worse and not c.first_scan and not c.stale


def test_contexts_that_are_not_there_are_one_line_exit_2(fleet_world: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["fleet", "scan", "--kubeconfig", str(fleet_world), "--context", "prod-aws,nope", "--store",
                 "sqlite:///:memory:"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.splitlines()[0] == f"r2c: error: context(s) not found in {fleet_world}: nope"


def test_plain_progress_lines_when_piped(fleet_world: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["fleet", "scan", "--kubeconfig", str(fleet_world), "--context", "prod-aws", "--context", DOWN,
                 "--cloud", "none", "--timeout", "20", "--store", str(tmp_path / "h.db")])
    out, err = capsys.readouterr()
    assert code == 4
    lines = err.splitlines()
    assert "prod-aws: listing" in lines and "prod-aws: rules" in lines
    assert any(line.startswith("prod-aws: done: ") for line in lines)
    assert any(line.startswith(f"{DOWN}: failed: ") for line in lines)
    assert "1 of 2 clusters scanned" in out


def test_worse_since_yesterday(store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Scans yesterday, this morning and now: --since 86400 compares now with yesterday's,
    the default with this morning's."""
    from datetime import datetime, timedelta, timezone

    import attrs

    from r2c_clouds.store import record_of

    base = record_of(r2c.scan(r2c.demo("domino"), cloud="recorded"))
    high = next(f for f in base.findings if f.severity == "high")
    rest = tuple(f for f in base.findings if f.id != high.id)
    new_high = attrs.evolve(high, id="feedfacecafe", message="appeared this morning")
    now = datetime.now(timezone.utc)

    def ago(hours: float) -> str:  # the CLI measures from the wall clock: so do the scans
        return (now - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")

    scans = [
        attrs.evolve(base, scan_id="1" * 32, generated_at=ago(25.5), findings=rest),
        attrs.evolve(base, scan_id="2" * 32, generated_at=ago(2.5), findings=(new_high, *rest)),
        attrs.evolve(base, scan_id="3" * 32, generated_at=ago(0.5), findings=(new_high, *rest)),
    ]
    with r2c.store.open(store_url) as store:
        for rec in scans:
            store.record(rec)
    from r2c_clouds.store.summary import fleet_summary

    with r2c.store.open(store_url) as store:
        [since_before] = fleet_summary(store, now=now).clusters
        [since_yesterday] = fleet_summary(store, now=now, since_hours=24).clusters
        [since_a_week] = fleet_summary(store, now=now, since_hours=24 * 7).clusters
    assert since_before.previous is not None and since_before.previous.scan_id == "2" * 32
    assert since_before.new == () and not since_before.worse
    assert since_yesterday.previous is not None and since_yesterday.previous.scan_id == "1" * 32
    assert [f.id for f in since_yesterday.new] == ["feedfacecafe"] and since_yesterday.worse
    assert since_a_week.previous is None and since_a_week.first_scan

    assert main(["fleet", "report", "--store", store_url, "--since", "86400", "-o", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["since_hours"] == 24 and doc["clusters"][0]["worse"] is True
