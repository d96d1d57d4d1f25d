"""The store on both backends (SQLite file, PostgreSQL server): what a scan leaves in it,
cross-checked against the same scan's JSON report; one copy per scan id; nothing half
written; versions; bad URLs and an unreachable server as one-line errors."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from pathlib import Path

import attrs
import pytest
import sqlalchemy as sa

import r2c_clouds as r2c
from r2c_clouds.errors import StoreError, StoreUnreachableError
from r2c_clouds.store import ClusterKey, FindingRow, failed_record, record_of
from r2c_clouds.store.schema import SCHEMA_VERSION

SEVERITIES = ("critical", "high", "medium", "low", "info")  # the report's severity names, most severe first


@pytest.fixture(scope="module")
def domino() -> r2c.Report:
    return r2c.scan(r2c.demo("domino"), cloud="recorded")


def test_a_scan_is_stored_as_its_json_report_says(store_url: str, domino: r2c.Report) -> None:
    doc = json.loads(domino.to_json())
    with r2c.store.open(store_url) as store:
        assert store.record(domino) is True
        [row] = store.history(doc["cluster"]["name"])
        findings = store.findings(doc["scan_id"])
        not_checked = store.not_checked(doc["scan_id"])

    assert row.scan_id == doc["scan_id"]
    assert row.generated_at == doc["generated_at"]
    assert (row.cluster, row.region) == (doc["cluster"]["name"], doc["cluster"]["region"])
    # the domino demo is an EKS cluster: its facts were recorded from AWS, in this account
    assert doc["cluster"]["provider"] == "recorded"
    assert (row.cloud, row.account) == ("aws", "123456789012")
    assert row.status == "complete" and row.error is None
    by_severity = Counter(f["severity"] for f in doc["findings"])
    assert {s: getattr(row, s) for s in SEVERITIES} == {s: by_severity.get(s, 0) for s in SEVERITIES}
    assert row.findings == len(doc["findings"]) > 0
    assert row.suppressed == len(doc["suppressed"])
    assert row.not_checked == len(doc["not_checked"])
    assert not_checked == [(n["what"], n["reason"]) for n in doc["not_checked"]]

    # the findings, in the report's order, with the subject and the chains they are on
    assert [f.id for f in findings] == [f["id"] for f in doc["findings"]]
    for got, want in zip(findings, doc["findings"], strict=True):
        assert (got.rule, got.loop, got.severity, got.message) == (
            want["rule"], want["loop"], want["severity"], want["message"])
        assert (got.kind, got.namespace, got.name) == (
            want["subject"]["kind"], want["subject"]["namespace"], want["subject"]["name"])
    on_chain = {fid: sorted(c["symptom"] for c in doc["chains"] if fid in c["path"]) for fid in (f.id for f in findings)}
    roots = {fid for c in doc["chains"] for fid in c["root_causes"]}
    assert doc["chains"], "the domino demo has cause chains"
    for f in findings:
        assert list(f.chains) == on_chain[f.id]
        assert f.root_cause == (f.id in roots)


def test_recording_a_scan_twice_keeps_one_copy(store_url: str, domino: r2c.Report) -> None:
    with r2c.store.open(store_url) as store:
        assert store.record(domino) is True
        assert store.record(domino) is False
        assert [r.scan_id for r in store.scans()] == [domino.scan_id]
        assert len(store.findings(domino.scan_id)) == len(domino.findings)


def test_history_is_oldest_first_and_latest_is_each_clusters_newest(store_url: str, domino: r2c.Report) -> None:
    first = attrs.evolve(record_of(domino), scan_id="a" * 32, generated_at="2026-12-01T08:00:00Z")
    second = attrs.evolve(record_of(domino), scan_id="b" * 32, generated_at="2026-12-02T08:00:00Z")
    other = ClusterKey("payments", "aws", "123456789012", "eu-west-1")
    failed = failed_record(other, "context:payments", "cluster unreachable: connection refused",
                           generated_at="2026-12-03T08:00:00Z")
    with r2c.store.open(store_url) as store:
        for rec in (second, failed, first):  # written out of order
            assert store.record(rec)
        name = record_of(domino).cluster.name
        assert [r.scan_id for r in store.history(name)] == ["a" * 32, "b" * 32]
        assert [r.scan_id for r in store.scans(name, limit=1)] == ["b" * 32]
        latest = {r.cluster: r for r in store.latest()}
        assert set(latest) == {name, "payments"}
        assert latest[name].scan_id == "b" * 32
        assert latest["payments"].status == "failed"
        assert latest["payments"].error == "cluster unreachable: connection refused"
        assert (latest["payments"].account, latest["payments"].region) == ("123456789012", "eu-west-1")
        assert store.findings(failed.scan_id) == []
        with pytest.raises(StoreError, match="no cluster 'nope'"):
            store.history("nope")


def test_a_cluster_is_known_by_its_name(store_url: str, domino: r2c.Report) -> None:
    """Its history holds together when a scan could not reach the cloud; a second cluster of
    the same name in another account is refused, not mixed in."""
    known = ClusterKey("prod", "aws", "111111111111", "us-east-1")
    blind = ClusterKey("prod")  # a scan without cloud facts
    other = ClusterKey("prod", "aws", "222222222222", "us-east-1")
    assert known.id == blind.id == other.id
    with r2c.store.open(store_url) as store:
        store.record(attrs.evolve(record_of(domino), scan_id="1" * 32, cluster=known))
        store.record(attrs.evolve(record_of(domino), scan_id="2" * 32, cluster=blind))
        assert store.clusters() == [known]  # what the scan that knew them said
        assert [r.scan_id for r in store.history("prod")] == ["1" * 32, "2" * 32]
        assert [r.scan_id for r in store.history(known.id)] == ["1" * 32, "2" * 32]
        with pytest.raises(StoreError, match="cluster 'prod' is in account 111111111111, this scan is of account 222222222222"):
            store.record(attrs.evolve(record_of(domino), scan_id="3" * 32, cluster=other))
        assert len(store.scans()) == 2


def test_a_failed_write_leaves_nothing(store_url: str, domino: r2c.Report) -> None:
    rec = record_of(domino)
    twice = attrs.evolve(rec, findings=(*rec.findings, rec.findings[0]))  # the second insert breaks the key
    with r2c.store.open(store_url) as store:
        with pytest.raises(StoreError, match=f"recording scan {rec.scan_id}"):
            store.record(twice)
        assert store.scans() == []
        assert store.clusters() == []
        assert store.record(rec) is True  # and the same scan can be written afterwards


def test_the_schema_is_versioned(store_url: str) -> None:
    r2c.store.open(store_url).close()
    engine = sa.create_engine(store_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.begin() as conn:
            assert conn.execute(sa.text("SELECT max(version) FROM r2c_schema")).scalar() == SCHEMA_VERSION
            conn.execute(sa.text("INSERT INTO r2c_schema (version, applied_at) VALUES (99, '2030-01-01T00:00:00Z')"))
    finally:
        engine.dispose()
    with pytest.raises(StoreError, match=f"schema version 99; this r2c knows up to {SCHEMA_VERSION}"):
        r2c.store.open(store_url)


def test_a_database_that_is_not_a_store_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE scans (x INTEGER)")
    conn.close()
    with pytest.raises(StoreError, match="not an r2c store"):
        r2c.store.open(f"sqlite:///{path}")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match=r"junk\.db.*not a database"):
        r2c.store.open(str(junk))


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://root@127.0.0.1/r2c", "unsupported database 'mysql'"),
        ("", "empty URL"),
        ("postgresql://[::1/db", "cannot be read"),
    ],
)
def test_bad_store_urls(url: str, message: str) -> None:
    with pytest.raises(StoreError, match=message):
        r2c.store.open(url)


def test_a_directory_is_not_a_store(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a directory"):
        r2c.store.open(str(tmp_path))


def test_an_unreachable_server_is_exit_3_and_hides_the_password() -> None:
    with socket_port() as port:
        url = f"postgresql://r2c:s3cret-pw@127.0.0.1:{port}/r2c"
        with pytest.raises(StoreUnreachableError) as info:
            r2c.store.open(url)
    assert info.value.exit_code == 3
    assert "s3cret-pw" not in str(info.value)
    assert "\n" not in str(info.value)


def test_the_default_store_follows_xdg_data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 domino: r2c.Report) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert r2c.store.default_path() == tmp_path / "data" / "r2c" / "history.db"
    with r2c.store.open() as store:
        store.record(domino)
    assert (tmp_path / "data" / "r2c" / "history.db").is_file()


def test_frames_for_notebooks(store_url: str, domino: r2c.Report) -> None:
    with r2c.store.open(store_url) as store:
        store.record(domino)
        scans = store.scans_frame()
        findings = store.findings_frame(domino.scan_id)
    assert list(scans["scan_id"]) == [domino.scan_id]
    assert int(scans["findings"].iloc[0]) == len(domino.findings)
    assert list(findings.columns) == [a.name for a in attrs.fields(FindingRow)]
    assert len(findings) == len(domino.findings)


class socket_port:
    """A loopback port that nothing listens on (bound, never listening, for the test's length)."""

    def __enter__(self) -> int:
        import socket

        self._s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._s.bind(("127.0.0.1", 0))
        return int(self._s.getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        self._s.close()


@pytest.mark.parametrize(
    ("resource_id", "cloud", "account"),
    [
        ("arn:aws:eks:us-east-1:123456789012:cluster/shop-prod", "aws", "123456789012"),
        ("/subscriptions/3f2c8a1e-5b7d-4c9a-8e6f-1a2b3c4d5e6f/resourceGroups/rg/providers/"
         "Microsoft.ContainerService/managedClusters/aks-payments", "azure", "3f2c8a1e-5b7d-4c9a-8e6f-1a2b3c4d5e6f"),
        ("projects/shop-gke-prod/locations/us-central1/clusters/gke-prod", "gcp", "shop-gke-prod"),
        ("//container.googleapis.com/projects/shop-gke-prod/locations/us-central1/clusters/gke-prod", "gcp",
         "shop-gke-prod"),
        ("i-0abc", "aws", None),
    ],
)
def test_the_account_is_read_from_the_clusters_own_resource_id(resource_id: str, cloud: str,
                                                                account: str | None) -> None:
    from r2c_clouds.model.cloud import CloudFacts, ClusterIdentity, Provenance
    from r2c_clouds.store.records import account_of, cloud_of

    facts = CloudFacts(provider="recorded", cluster_identity=ClusterIdentity(Provenance(cloud, "x:Describe", resource_id)))
    assert account_of(facts) == account
    assert cloud_of(facts) == cloud
    assert cloud_of(None) == "none"
