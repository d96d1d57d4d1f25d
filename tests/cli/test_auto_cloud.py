"""`--cloud auto` (the default) on a laptop without the cloud's credentials: the Kubernetes
rules still run, the cloud's facts are not checked (a warning says why); only a cloud named
explicitly makes a missing credential exit 3."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import r2c_clouds
from r2c_clouds.cli import main

AKS = Path(r2c_clouds.__file__).parent / "demo" / "aks" / "cluster.json"
GKE = Path(r2c_clouds.__file__).parent / "demo" / "gke" / "cluster.json"


@pytest.fixture
def no_google_token(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("GOOGLE_OAUTH_ACCESS_TOKEN", raising=False)
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))


@pytest.mark.usefixtures("no_google_token")
@pytest.mark.parametrize("dump", [AKS, GKE], ids=["aks", "gke"])
def test_auto_without_credentials_still_scans_kubernetes(tmp_path: Path, dump: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    snap = tmp_path / "cluster.json"
    shutil.copy(dump, snap)  # no cloud-facts.json beside it: auto picks the cloud by providerID
    code = main(["scan", "--snapshot", str(snap), "--format", "json", "--fail-on", "critical"])
    out, err = capsys.readouterr()
    assert code in (0, 1), err  # the verdict of the Kubernetes rules, not an error
    report = json.loads(out)
    assert report["findings"], "the Kubernetes rules ran"
    (cloud,) = [nc for nc in report["not_checked"] if nc["what"] == "cloud facts"]
    assert "credential" in cloud["reason"].lower() or "not usable" in cloud["reason"] or "not reachable" in cloud["reason"]
    assert report["cluster"]["provider"] is None
    assert "warning: cloud facts not checked" in err or "not usable" in cloud["reason"]


@pytest.mark.usefixtures("no_google_token")
def test_an_explicit_cloud_without_credentials_is_exit_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snap = tmp_path / "cluster.json"
    shutil.copy(GKE, snap)
    code = main(["scan", "--snapshot", str(snap), "--cloud", "gcp"])
    err = capsys.readouterr().err
    assert code == 3
    assert err.startswith("r2c: error: gcp: no credentials found")
