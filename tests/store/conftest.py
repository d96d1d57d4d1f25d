"""Store backends for the store tests: SQLite in a temporary file, and a throw-away
PostgreSQL server started from Debian's ``postgresql`` package on loopback.

The server is started here rather than by pytest-postgresql's process fixture because CI
runs as root, and ``initdb``/``postgres`` refuse to run as root: as root the data directory
is handed to the ``postgres`` user and the commands run through ``runuser``. Without the
package the PostgreSQL cases skip locally, and fail under ``CI=true`` (.ci/run installs it).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


def _bindir() -> Path | None:
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=False)
        candidate = Path(out.stdout.strip())
        if (candidate / "initdb").exists():
            return candidate
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """``postgresql://r2c@127.0.0.1:PORT/postgres`` of a server that lives for the session
    (its data in a directory of /tmp the ``postgres`` user can reach; pytest's own temporary
    directories are private to root)."""
    bindir = _bindir()
    if bindir is None:
        if os.environ.get("CI"):
            raise RuntimeError("PostgreSQL is not installed (.ci/run installs Debian's postgresql)")
        pytest.skip("PostgreSQL is not installed here (apt-get install postgresql)")
    base = Path(tempfile.mkdtemp(prefix="r2c-pg-"))
    data, run = base / "data", base / "run"
    run.mkdir()
    prefix: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
        shutil.chown(run, "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    port = _free_port()

    def pg(*args: str) -> None:
        proc = subprocess.run([*prefix, *args], capture_output=True, text=True, check=False, timeout=120)
        if proc.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {proc.stderr.strip() or proc.stdout.strip()}")

    pg(str(bindir / "initdb"), "-D", str(data), "-U", "r2c", "--auth=trust", "-E", "UTF8", "--no-sync")
    pg(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(base / "log"), "-w", "-t", "60",
       "-o", f"-p {port} -k {run} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
    try:
        yield f"postgresql://r2c@127.0.0.1:{port}/postgres"
    finally:
        pg(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty store on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'history.db'}"
        return
    server: str = request.getfixturevalue("postgres_url")
    import psycopg

    name = f"r2c_{os.getpid()}_{abs(hash(request.node.nodeid)) % 10**8}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
