"""Fixtures of the GCP provider tests: one fake Google Cloud (see gcp_world) behind ONE TLS
endpoint ``https://127.0.0.1:PORT`` serving REST (HTTP/1.1) and gRPC (h2) by ALPN.

* ``gcp_ca`` (session): the test CA and the server certificate (127.0.0.1, ::1, localhost).
  One CA for the whole session on purpose: gRPC reads ``GRPC_DEFAULT_SSL_ROOTS_FILE_PATH`` once
  per process (on its first TLS channel) and keeps those roots, so a second CA would never be
  trusted by gRPC clients.
* ``gcp_servers`` (session): the REST server, the gRPC server and the TLS front; it serves the
  world the ``gcp`` fixture installs.
* ``gcp`` (function): a fresh :class:`gcp_world.GcpWorld` (default data, no faults, empty log)
  installed on the servers, with ``.endpoint`` (REST ``api_endpoint``), ``.grpc_endpoint``
  ("127.0.0.1:PORT", gRPC over TLS) and ``.ca_file``; the environment trusts the CA
  (``REQUESTS_CA_BUNDLE``, ``GRPC_DEFAULT_SSL_ROOTS_FILE_PATH``), has
  ``GOOGLE_OAUTH_ACCESS_TOKEN=test-token``, ``NO_GCE_CHECK=True``, no ``GOOGLE_CLOUD_PROJECT``,
  no ``GOOGLE_APPLICATION_CREDENTIALS`` and an empty ``CLOUDSDK_CONFIG`` (no gcloud ADC file).
  At teardown the test fails if the world recorded errors (a served body that does not parse
  as the SDK's type, a crash of the world, a request no route serves).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from gcp_world import TOKEN, GcpServers, GcpWorld
from tls import CaFiles, make_ca


@pytest.fixture(scope="session")
def gcp_ca(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CaFiles]:
    ca = make_ca(tmp_path_factory.mktemp("gcp-ca"))
    # set for the whole session too, so that the first gRPC TLS channel of the process (which
    # fixes gRPC's roots) sees this CA even if it is opened outside the `gcp` fixture
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GRPC_DEFAULT_SSL_ROOTS_FILE_PATH", ca.ca_file)
        yield ca


@pytest.fixture(scope="session")
def gcp_servers(gcp_ca: CaFiles) -> Iterator[GcpServers]:
    servers = GcpServers(gcp_ca).start()
    try:
        yield servers
    finally:
        servers.stop()


@pytest.fixture
def gcp(gcp_servers: GcpServers, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[GcpWorld]:
    world = gcp_servers.install(GcpWorld())
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", world.ca_file)
    monkeypatch.setenv("GRPC_DEFAULT_SSL_ROOTS_FILE_PATH", world.ca_file)
    monkeypatch.setenv("GOOGLE_OAUTH_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("NO_GCE_CHECK", "True")
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    gcloud = tmp_path / "gcloud"
    gcloud.mkdir()
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(gcloud))
    try:
        yield world
    finally:
        gcp_servers.uninstall()
    assert not world.errors, f"the fake Google Cloud recorded errors: {world.errors}"
