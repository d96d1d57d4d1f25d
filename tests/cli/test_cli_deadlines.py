"""The CLI's deadlines: a dead or hanging cluster fails in bounded time, one line, exit 3;
a trickling kind becomes not checked and the scan incomplete (exit 4)."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from apiserver import FakeApiServer, Fault, sample_objects, write_kubeconfig

from r2c_clouds.cli import main


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_refused_port_fails_fast(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kc = write_kubeconfig(tmp_path / "kubeconfig", f"http://127.0.0.1:{_free_port()}")
    started = time.monotonic()
    code = main(["scan", "--kubeconfig", str(kc), "--cloud", "none", "-q"])
    took = time.monotonic() - started
    err = capsys.readouterr().err
    assert code == 3 and err.count("\n") <= 2 and err.startswith("r2c: error:")
    assert took < 10


def test_a_hanging_api_server_is_cut_at_the_request_deadline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with FakeApiServer(sample_objects(), faults={"/version": Fault.hang()}) as api:
        started = time.monotonic()
        code = main(["scan", "--kubeconfig", str(api.write_kubeconfig(tmp_path / "kc")), "--cloud", "none", "-q",
                     "--request-timeout", "1", "--timeout", "5"])
        took = time.monotonic() - started
    assert code == 3, capsys.readouterr().err
    assert took < 5


def test_a_trickling_kind_is_not_checked_and_the_scan_incomplete(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    with FakeApiServer(sample_objects(), faults={"pods": Fault.trickle(0.5)}) as api:
        started = time.monotonic()
        code = main(["scan", "--kubeconfig", str(api.write_kubeconfig(tmp_path / "kc")), "--cloud", "none", "-q",
                     "--request-timeout", "1", "--format", "json"])
        took = time.monotonic() - started
    out, err = capsys.readouterr()
    assert code == 4, err
    assert '"what": "Pod"' in out and "timeout" in out
    assert took < 10
