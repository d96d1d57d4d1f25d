"""Hostile snapshots: things that are not files, files that never end, archives that explode,
keys given twice, nesting without end. Each is one line naming the file, exit 2, quickly."""

from __future__ import annotations

import gzip
import io
import json
import os
import tarfile
import time
from pathlib import Path

import pytest

from r2c_clouds.cli import main
from r2c_clouds.errors import SnapshotError
from r2c_clouds.kube import snapshot
from r2c_clouds.kube.snapshot import load_snapshot

NODE = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}}


def _error(path: Path) -> SnapshotError:
    started = time.monotonic()
    with pytest.raises(SnapshotError) as info:
        load_snapshot(path)
    assert time.monotonic() - started < 10
    assert "\n" not in str(info.value)
    return info.value


def test_a_fifo_in_a_snapshot_directory_is_refused_not_waited_on(tmp_path: Path) -> None:
    (tmp_path / "nodes.json").write_text(json.dumps(NODE))
    os.mkfifo(tmp_path / "pods.json")
    err = _error(tmp_path)
    assert err.path.endswith("pods.json") and err.problem == "not a regular file (a FIFO); only regular files are read"


def test_a_device_behind_a_symlink_is_refused(tmp_path: Path) -> None:
    (tmp_path / "nodes.json").write_text(json.dumps(NODE))
    (tmp_path / "zero.json").symlink_to("/dev/zero")
    err = _error(tmp_path)
    assert err.path.endswith("zero.json") and "not a regular file (a device)" in err.problem


def test_a_device_given_directly_is_refused() -> None:
    err = _error(Path("/dev/zero"))
    assert err.problem == "not a regular file or directory"


def test_a_file_over_the_size_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(snapshot, "MAX_FILE_BYTES", 100)
    f = tmp_path / "nodes.json"
    f.write_text(json.dumps({**NODE, "metadata": {"name": "n" * 200}}))
    assert _error(f).problem.startswith("file too large (")


def _bomb(path: Path, size: int) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        body = json.dumps(NODE).encode() + b" " * size  # whitespace: valid JSON, compresses ~1000x
        info = tarfile.TarInfo("bundle/cluster-resources/nodes.json")
        info.size = len(body)
        tf.addfile(info, io.BytesIO(body))
    path.write_bytes(gzip.compress(buf.getvalue(), compresslevel=9))


def test_an_archive_that_expands_far_beyond_its_size_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(snapshot, "_RATIO_FLOOR", 2**20)
    f = tmp_path / "bundle.tar.gz"
    _bomb(f, 8 * 2**20)
    assert f.stat().st_size < 64 * 1024
    err = _error(f)
    assert "refused as a decompression bomb" in err.problem


def test_an_archive_within_the_ratio_loads(tmp_path: Path) -> None:
    f = tmp_path / "bundle.tar.gz"
    _bomb(f, 1024)
    assert [n.metadata.name for n in load_snapshot(f).nodes] == ["n1"]


@pytest.mark.parametrize(
    ("name", "text", "problem", "obj"),
    [
        ("dup.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: api\n  namespace: shop\nspec:\n  containers:\n"
                     "  - name: api\n    image: a:1\n    image: a:2\n",
         "duplicate key 'image' at line 10, column 5 (kubectl refuses it too)", "Pod/shop/api"),
        ("dup.json", '{"apiVersion":"v1","kind":"List","items":[' + json.dumps(NODE) + ','
                     '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"api","namespace":"shop","namespace":"team"},'
                     '"spec":{"containers":[]}}]}',
         "duplicate key 'namespace' (kubectl refuses it too)", "Pod/team/api (items[1])"),
    ],
)
def test_a_key_given_twice_is_refused(tmp_path: Path, name: str, text: str, problem: str, obj: str) -> None:
    f = tmp_path / name
    f.write_text(text)
    err = _error(f)
    assert (err.problem, err.obj) == (problem, obj)


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_nesting_without_end_is_one_line(tmp_path: Path, suffix: str, capsys: pytest.CaptureFixture[str]) -> None:
    deep = "[" * 200_000 + "]" * 200_000
    f = tmp_path / f"deep{suffix}"
    f.write_text('{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"data":{"a":' + deep + "}}")
    assert main(["scan", "--snapshot", str(f), "--cloud", "none"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(f) in err


def test_a_saved_status_error_is_not_an_empty_cluster(tmp_path: Path) -> None:
    f = tmp_path / "pods.json"
    f.write_text(json.dumps({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                             "message": "pods is forbidden", "reason": "Forbidden", "code": 403}))
    assert _error(f).problem.startswith("an API error response (kind Status)")
