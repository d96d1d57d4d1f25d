"""``r2c scan --cloud azure --arm-endpoint https://127.0.0.1:PORT --azure-credential cli``
against a real local TLS server: a self-signed certificate trusted through REQUESTS_CA_BUNDLE,
and a fake ``az`` on PATH that prints a token as ``az account get-access-token`` does."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
import ssl
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from arm_world_azure import ArmWorld
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

import r2c_clouds
from r2c_clouds.cli import main

DEMO_DIR = Path(r2c_clouds.__file__).resolve().parent / "demo" / "aks"


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "arm.pem", tmp / "arm.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture
def tls_arm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[HTTPServer, ArmWorld, Path]]:
    cert, key = _self_signed(tmp_path)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=ctx, threaded=True)
    server.start()
    base = f"https://127.0.0.1:{server.port}"
    world = ArmWorld(base=base)

    def handler(request: Request) -> Response:
        status, headers, body = world.handle(request.method, request.url)
        return Response(body, status=status, headers=headers)

    server.expect_request(re.compile(".*")).respond_with_handler(handler)
    # a fake `az` that prints what `az account get-access-token --output json` prints
    bindir = tmp_path / "bin"
    bindir.mkdir()
    expires = int(time.time()) + 3600
    token = {
        "accessToken": "fake-cli-token",
        "expiresOn": dt.datetime.fromtimestamp(expires).strftime("%Y-%m-%d %H:%M:%S.000000"),
        "expires_on": expires,
        "subscription": world_sub(),
        "tenant": "9b8c7d6e-5f4a-4b3c-8d2e-1f0a9b8c7d6e",
        "tokenType": "Bearer",
    }
    az = bindir / "az"
    az.write_text(f"#!/bin/sh\necho \"$@\" >> '{tmp_path / 'az.log'}'\ncat <<'EOF'\n{json.dumps(token)}\nEOF\n")
    az.chmod(az.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bindir}:/usr/bin:/bin")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    for var in ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET", "AZURE_FEDERATED_TOKEN_FILE",
                "IDENTITY_ENDPOINT", "MSI_ENDPOINT", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(var, raising=False)
    yield server, world, tmp_path
    server.clear()
    if server.is_running():
        server.stop()


def world_sub() -> str:
    from arm_world_azure import SUB

    return SUB


def _findings(out: Path) -> set[tuple[str, str]]:
    data: dict[str, Any] = json.loads(out.read_text())
    return {(f["rule"], json.dumps(f["subject"], sort_keys=True)) for f in data["findings"]}


def test_azure_cli_scan_over_tls_with_cli_credential(tls_arm: Any, tmp_path: Path) -> None:
    server, world, tmp = tls_arm
    live, recorded = tmp_path / "live.json", tmp_path / "recorded.json"
    endpoint = f"https://127.0.0.1:{server.port}"
    code = main(["scan", "--snapshot", str(DEMO_DIR), "--cloud", "azure", "--arm-endpoint", endpoint,
                 "--azure-credential", "cli", "--format", "json", "--output-file", str(live), "--quiet"])
    assert code in (0, 1), (tmp / "az.log").read_text() if (tmp / "az.log").exists() else "az not called"
    assert main(["scan", "--snapshot", str(DEMO_DIR), "--cloud", "recorded", "--format", "json",
                 "--output-file", str(recorded), "--quiet"]) == code
    assert _findings(live) == _findings(recorded)
    assert "Microsoft.ContainerService/managedClusters/read" in world.operations
    # the token was asked for the endpoint's own scope
    assert endpoint in (tmp / "az.log").read_text()


def test_azure_cli_no_credential_exits_3(tls_arm: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server, world, tmp = tls_arm
    (tmp / "bin" / "az").write_text("#!/bin/sh\necho 'ERROR: Please run az login to setup account.' >&2\nexit 1\n")
    code = main(["scan", "--snapshot", str(DEMO_DIR), "--cloud", "azure", "--arm-endpoint",
                 f"https://127.0.0.1:{server.port}", "--azure-credential", "cli", "--quiet"])
    err = capsys.readouterr().err
    assert code == 3
    assert len(err.strip().splitlines()) <= 2 and "credential" in err
    assert world.operations == []


def test_azure_cli_snapshot_records_facts(tls_arm: Any, tmp_path: Path) -> None:
    from r2c_clouds.providers.recorded import load_facts

    server, _world, _ = tls_arm
    out = tmp_path / "snap"
    code = main(["snapshot", "--snapshot", str(DEMO_DIR), "--cloud", "azure", "--arm-endpoint",
                 f"https://127.0.0.1:{server.port}", "--azure-credential", "cli", "-o", str(out), "--quiet"])
    assert code == 0
    facts = load_facts(out / "cloud-facts.json")
    assert facts.provider == "azure" and facts.cluster_name == "aks-payments"
    assert {p.name for p in facts.node_pools} == {"system", "user"}
    assert facts.api_calls["Microsoft.Compute/disks/read"] == 1
