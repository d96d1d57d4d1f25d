"""Bad snapshot input: one SnapshotError line naming the file, the object and the field."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from r2c_clouds.errors import BadInputError, SnapshotError
from r2c_clouds.kube.snapshot import load_snapshot
from r2c_clouds.model.cluster import ClusterState

DATA = Path(__file__).parent.parent / "data" / "snapshots"
BAD = DATA / "bad"


def _error(path: Path | str) -> SnapshotError:
    with pytest.raises(SnapshotError) as err:
        load_snapshot(path)
    message = str(err.value)
    assert "\n" not in message, message
    assert "Traceback" not in message
    return err.value


def test_snapshot_error_is_bad_input() -> None:
    assert issubclass(SnapshotError, BadInputError)


def test_missing_path(tmp_path: Path) -> None:
    err = _error(tmp_path / "nope.json")
    assert str(err) == f"{tmp_path / 'nope.json'}: no such file or directory"


def test_empty_directory(tmp_path: Path) -> None:
    err = _error(tmp_path)
    assert str(err) == f"{tmp_path}: no Kubernetes objects found"


def test_directory_with_only_non_kubernetes_files(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# notes\n")
    (tmp_path / "logs.txt").write_text("==== START logs for container api of pod shop/api-0 ====\n")
    assert "no Kubernetes objects found" in str(_error(tmp_path))


def test_empty_generic_list(tmp_path: Path) -> None:
    f = tmp_path / "snapshot.json"
    f.write_text('{"apiVersion":"v1","items":[],"kind":"List","metadata":{"resourceVersion":""}}')
    assert "no Kubernetes objects found" in str(_error(f))


def test_malformed_json_names_line_and_column(tmp_path: Path) -> None:
    f = tmp_path / "pods.json"
    f.write_text('{\n  "kind": "List",\n  "items": [\n    {"kind": "Pod",, "metadata": {}}\n  ]\n}\n')
    err = _error(f)
    assert str(err).startswith(f"{f}: malformed JSON")
    assert "line 4, column 20" in str(err)


def test_truncated_json() -> None:
    err = _error(BAD / "truncated.json")
    assert str(err) == f"{BAD / 'truncated.json'}: malformed JSON: Input data was truncated"


def test_malformed_yaml_names_line_and_column() -> None:
    err = _error(BAD / "tabs.yaml")
    assert str(err).startswith(f"{BAD / 'tabs.yaml'}: malformed YAML at line 5, column 1:")


def test_binary_file() -> None:
    err = _error(BAD / "binary.json")
    assert str(err) == f"{BAD / 'binary.json'}: binary file (NUL bytes), not JSON or YAML"


def test_invalid_utf8_is_a_snapshot_error(tmp_path: Path) -> None:
    f = tmp_path / "pods.json"
    f.write_bytes(b'{"kind":"Pod","apiVersion":"v1","metadata":{"name":"api-\xff\xfe"}}')
    assert str(f) in str(_error(f))


def test_missing_metadata_name_names_the_item_and_field() -> None:
    err = _error(BAD / "missing-name.json")
    assert err.path == str(BAD / "missing-name.json")
    assert err.obj == "items[3]"
    assert err.problem == "missing required field $.metadata.name"


def test_wrong_type_names_the_object_and_path() -> None:
    err = _error(BAD / "wrong-type.json")
    assert err.obj == "Pod/shop/api-7d9f8c6b5-9wzrt (items[1])"
    assert err.problem == "wrong type at $.spec.containers[0].name: expected str, got int"


def test_wrong_type_in_yaml_names_the_document(tmp_path: Path) -> None:
    f = tmp_path / "manifests.yaml"
    f.write_text(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: shop\n"
        "spec:\n  replicas: three\n"
    )
    err = _error(f)
    assert err.obj == "Deployment/shop/api (document 2)"
    assert err.problem == "wrong type at $.spec.replicas: expected int | null, got str"


def test_unknown_builtin_kind_names_it() -> None:
    err = _error(BAD / "unknown-kind.json")
    assert err.problem == "unknown kind 'Nodee' (v1)"
    assert err.obj == "Nodee/ip-10-0-12-34.ec2.internal (items[1])"


def test_unknown_kind_without_api_version(tmp_path: Path) -> None:
    f = tmp_path / "pod.yaml"
    f.write_text("kind: Podd\nmetadata:\n  name: api\n  namespace: shop\n")
    err = _error(f)
    assert str(err) == f"{f}: Podd/shop/api: unknown kind 'Podd'"


def test_unknown_kind_in_a_custom_group_is_ignored(tmp_path: Path) -> None:
    f = tmp_path / "podmonitors.json"
    f.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "monitoring.coreos.com/v1", "kind": "PodMonitor", "metadata": {"name": "api", "namespace": "shop"}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "api-0", "namespace": "shop"}, "spec": {"containers": []}},
    ]}))
    c = load_snapshot(f)
    assert c.ignored == {"PodMonitor": 1} and len(c.pods) == 1


def test_object_without_kind_that_cannot_be_inferred(tmp_path: Path) -> None:
    f = tmp_path / "snapshot.json"
    f.write_text(json.dumps([{"metadata": {"name": "api-0", "namespace": "shop"}, "spec": {}}]))
    err = _error(f)
    assert err.obj == "object/shop/api-0 ([0])"
    assert err.problem.startswith("object has no kind")


def test_scalar_document_is_not_an_object(tmp_path: Path) -> None:
    f = tmp_path / "pods.json"
    f.write_text("42\n")
    assert "not a Kubernetes object or list" in str(_error(f))


def test_list_item_that_is_not_an_object(tmp_path: Path) -> None:
    f = tmp_path / "pods.json"
    f.write_text('{"kind":"List","apiVersion":"v1","items":[{"kind":"Pod","metadata":{"name":"a"}}, "oops"]}')
    err = _error(f)
    assert err.obj == "items[1]"
    assert "not a Kubernetes object" in err.problem


def test_bad_file_inside_a_directory_names_that_file(tmp_path: Path) -> None:
    (tmp_path / "nodes.json").write_text((DATA / "kubectl" / "pods-array.json").read_text())
    (tmp_path / "pvs.yaml").write_text("items:\n- metadata: {name: pv-1}\n  spec: [1, 2]\n")
    err = _error(tmp_path)
    assert err.path == str(tmp_path / "pvs.yaml")
    assert err.obj == "PersistentVolume/pv-1 (items[0])"


def test_secret_values_never_appear_in_errors(tmp_path: Path) -> None:
    f = tmp_path / "secrets.json"
    f.write_text(json.dumps({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                             "metadata": {"name": 7}, "data": {"token": "dG9wLXNlY3JldA=="}}))
    err = _error(f)
    assert "dG9wLXNlY3JldA==" not in str(err)
    assert "top-secret" not in str(err)


def test_cloud_facts_file_alone_is_not_a_snapshot(tmp_path: Path) -> None:
    f = tmp_path / "cloud-facts.json"
    f.write_text('{"schema": "r2c_clouds/cloud-facts/v1", "facts": {}}')
    assert "holds cloud facts" in str(_error(f))


# --------------------------------------------------------------------------- fuzzing

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
_kinds = st.sampled_from(["Pod", "Node", "List", "PodList", "Secret", "Event", "Podd", "ScaledObject", "", "ReplicaSet"])
_api_versions = st.sampled_from(["v1", "apps/v1", "events.k8s.io/v1", "keda.sh/v1alpha1", "example.com/v1", "", "/"])
_meta = st.fixed_dictionaries(
    {}, optional={"name": st.text(max_size=6) | st.integers(), "namespace": st.text(max_size=6) | st.none(),
                  "labels": st.dictionaries(st.text(max_size=4), st.text(max_size=4) | st.integers(), max_size=2)},
)
_k8s_like: st.SearchStrategy[Any] = st.recursive(
    st.fixed_dictionaries(
        {}, optional={"kind": _kinds | _json_values, "apiVersion": _api_versions, "metadata": _meta | _json_values,
                      "spec": _json_values, "data": st.dictionaries(st.text(max_size=4), st.text(max_size=6), max_size=2)},
    ),
    lambda inner: st.fixed_dictionaries(
        {"items": st.lists(inner, max_size=4)}, optional={"kind": _kinds, "apiVersion": _api_versions}
    ) | st.lists(inner, max_size=4),
    max_leaves=8,
)


def _only_state_or_snapshot_error(path: Path) -> None:
    message = ""
    try:
        result: object = load_snapshot(path)
    except SnapshotError as exc:
        result, message = exc, str(exc)
    assert isinstance(result, (ClusterState, SnapshotError))
    assert "\n" not in message


@settings(max_examples=int(os.environ.get("R2C_FUZZ_EXAMPLES", "200")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=_json_values | _k8s_like, suffix=st.sampled_from([".json", ".yaml"]))
def test_any_document_loads_or_raises_snapshot_error(tmp_path: Path, doc: Any, suffix: str) -> None:
    import yaml

    f = tmp_path / f"fuzz{suffix}"
    text = json.dumps(doc) if suffix == ".json" else yaml.safe_dump(doc)
    f.write_text(text)
    _only_state_or_snapshot_error(f)


@settings(max_examples=int(os.environ.get("R2C_FUZZ_EXAMPLES", "100")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(docs=st.lists(_k8s_like, min_size=1, max_size=3))
def test_any_directory_of_documents_loads_or_raises_snapshot_error(tmp_path: Path, docs: list[Any]) -> None:
    d = tmp_path / "fuzz-dir"
    d.mkdir(exist_ok=True)
    for old in d.iterdir():
        old.unlink()
    for n, doc in enumerate(docs):
        (d / f"{['pods', 'nodes', 'objects'][n]}.json").write_text(json.dumps(doc))
    _only_state_or_snapshot_error(d)


@settings(max_examples=int(os.environ.get("R2C_FUZZ_EXAMPLES", "200")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=200), suffix=st.sampled_from([".json", ".yaml", ".yml", ".tar.gz", ""]))
def test_any_bytes_load_or_raise_snapshot_error(tmp_path: Path, data: bytes, suffix: str) -> None:
    f = tmp_path / f"fuzz{suffix}"
    f.write_bytes(data)
    _only_state_or_snapshot_error(f)


def test_yaml_alias_bomb_is_refused(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    f = tmp_path / "laughs.yaml"
    f.write_text("\n".join(lines) + "\nkind: ConfigMap\napiVersion: v1\nmetadata: {name: lol}\ndata: *a8\n")
    assert "YAML aliases expand" in str(_error(f))


def test_yaml_anchors_within_reason_still_load(tmp_path: Path) -> None:
    f = tmp_path / "manifests.yaml"
    f.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cilium-config\n  namespace: kube-system\n"
        "  labels: &labels {app.kubernetes.io/part-of: cilium}\n  annotations: *labels\n"
        "data: {mtu: '8961', tunnel-protocol: vxlan}\n"
    )
    (cm,) = load_snapshot(f).config_maps
    assert cm.metadata.annotations == {"app.kubernetes.io/part-of": "cilium"}
