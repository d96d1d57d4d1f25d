"""Kubeconfig and context problems: one clear ConfigError line (exit 2), never a traceback."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from apiserver import FakeApiServer, sample_objects, write_kubeconfig

from r2c_clouds.errors import BadInputError, ConfigError
from r2c_clouds.kube.live import connect


@pytest.fixture
def api() -> Iterator[FakeApiServer]:
    with FakeApiServer(sample_objects()) as server:
        yield server


def config_error(**kwargs: object) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        connect(**kwargs)  # type: ignore[arg-type]
    err = info.value
    assert isinstance(err, BadInputError) and err.exit_code == 2
    assert "\n" not in str(err)
    return err


def test_missing_kubeconfig_file(tmp_path: Path) -> None:
    path = tmp_path / "nope"

    assert str(config_error(kubeconfig=path)) == f"kubeconfig {path}: file not found"


def test_unknown_context_lists_the_available_ones(api: FakeApiServer, tmp_path: Path) -> None:
    kc = api.write_kubeconfig(tmp_path / "kubeconfig", context="staging", extra_contexts=["dev"])

    err = config_error(kubeconfig=kc, context="prod")

    assert str(err) == f"kubeconfig {kc}: context 'prod' not found (available: dev, staging)"
    assert api.requests == []


def test_a_named_context_is_used(api: FakeApiServer, tmp_path: Path) -> None:
    kc = api.write_kubeconfig(tmp_path / "kubeconfig", context="staging", extra_contexts=["dev"])

    cluster = connect(kubeconfig=kc, context="dev")

    assert cluster.source == "context:dev" and len(cluster.pods) == 14


def test_malformed_yaml(tmp_path: Path) -> None:
    kc = tmp_path / "kubeconfig"
    kc.write_text("apiVersion: v1\nclusters:\n- name: a\n  cluster: {server: [\n", encoding="utf-8")

    err = config_error(kubeconfig=kc)

    assert str(err).startswith(f"kubeconfig {kc}: not valid YAML (")
    assert "line " in str(err)


def test_not_a_kubeconfig(tmp_path: Path) -> None:
    kc = tmp_path / "kubeconfig"
    kc.write_text("- just\n- a list\n", encoding="utf-8")

    err = config_error(kubeconfig=kc)

    assert str(err) == f"kubeconfig {kc}: not a kubeconfig (expected a mapping with clusters, contexts and users)"


def test_empty_kubeconfig_given_explicitly(tmp_path: Path) -> None:
    kc = tmp_path / "kubeconfig"
    kc.write_text("", encoding="utf-8")

    assert str(config_error(kubeconfig=kc)) == f"kubeconfig {kc}: the file is empty"


def test_no_current_context(tmp_path: Path) -> None:
    kc = write_kubeconfig(tmp_path / "kubeconfig", "http://127.0.0.1:9", context="a")
    doc = yaml.safe_load(kc.read_text())
    del doc["current-context"]
    kc.write_text(yaml.safe_dump(doc))

    err = config_error(kubeconfig=kc)

    assert str(err) == f"kubeconfig {kc}: no current-context set and no context given (available: a)"
    assert err.remediation == "pass --context NAME"


def test_context_naming_an_undefined_cluster(tmp_path: Path) -> None:
    kc = write_kubeconfig(tmp_path / "kubeconfig", "http://127.0.0.1:9", context="a")
    doc = yaml.safe_load(kc.read_text())
    doc["contexts"][0]["context"]["cluster"] = "gone"
    kc.write_text(yaml.safe_dump(doc))

    err = config_error(kubeconfig=kc)

    assert str(err) == f"kubeconfig {kc}: context 'a' names cluster 'gone', which is not defined"


def test_no_kubeconfig_found_and_not_in_a_pod(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "absent"))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)

    err = config_error()

    assert str(err) == f"kubeconfig {tmp_path / 'absent'}: no kubeconfig found"


def test_in_cluster_outside_a_pod(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)

    err = config_error(in_cluster=True)

    assert str(err).startswith("in-cluster config: ")


def test_kubeconfig_env_merges_several_files(
    api: FakeApiServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    first = write_kubeconfig(tmp_path / "first", "http://127.0.0.1:9", context="elsewhere", cluster="other")
    second = api.write_kubeconfig(tmp_path / "second", context="fake")
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join([str(first), str(second)]))

    cluster = connect(context="fake")

    assert cluster.source == "context:fake" and len(cluster.nodes) == 4
    err = config_error(context="prod")
    assert str(err).endswith("context 'prod' not found (available: elsewhere, fake)")


def test_in_a_pod_without_kubeconfig_the_service_account_is_tried(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "absent"))
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "9")
    monkeypatch.setattr("kubernetes.config.incluster_config.SERVICE_TOKEN_FILENAME", str(tmp_path / "token"))

    err = config_error()

    assert str(err).startswith("in-cluster config: ")
    assert "token" in str(err).lower()
