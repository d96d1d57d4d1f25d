"""The primitive-mapping table: complete, queryable, names as the clouds spell them."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

import r2c_clouds
from r2c_clouds.errors import BadInputError
from r2c_clouds.mapping import CLOUDS, LOOPS, MappingEntry, lookup, table

# The minimum rule catalogue of the design card; failure modes must point at these.
CATALOGUE = {
    "identity": {"static-cloud-credentials", "workload-identity-not-enabled", "identity-not-found",
                 "trust-mismatch", "cluster-admin-sprawl", "image-pull-auth"},
    "compute": {"missing-requests", "missing-memory-limit", "no-priority-class", "no-pdb", "pdb-blocks-eviction",
                "unschedulable", "fragmentation", "node-pool-zone-gap", "system-pool-user-workloads", "keda-not-enabled"},
    "network": {"missing-readiness-probe", "no-default-deny", "ingress-timeout-default", "service-no-ready-endpoints",
                "nat-saturation", "subnet-ip-exhaustion", "cross-zone-traffic", "mtu-mismatch"},
    "storage": {"immediate-binding", "zone-conflict", "database-as-deployment", "no-topology-spread",
                "statefulset-rollout-stuck"},
    "observability": {"no-metrics-pipeline", "no-red-metrics", "log-context-missing"},
}


def test_one_entry_per_loop_and_cloud() -> None:
    pairs = [(e.loop, e.cloud) for e in table()]
    assert sorted(pairs) == sorted((loop, cloud) for loop in LOOPS for cloud in CLOUDS)
    assert len(set(pairs)) == len(pairs)


def test_lookup_storage_azure() -> None:
    (entry,) = lookup(loop="storage", cloud="azure")
    assert "Azure Disk CSI" in entry.primitives
    assert "WaitForFirstConsumer" in entry.primitives
    assert entry.csi_drivers == ("disk.csi.azure.com", "file.csi.azure.com")
    assert "topology.disk.csi.azure.com/zone" in entry.topology_keys


@pytest.mark.parametrize(
    ("cloud", "driver", "topology_key"),
    [
        ("aws", "ebs.csi.aws.com", "topology.ebs.csi.aws.com/zone"),
        ("aws", "efs.csi.aws.com", "topology.kubernetes.io/zone"),
        ("gcp", "pd.csi.storage.gke.io", "topology.gke.io/zone"),
        ("gcp", "filestore.csi.storage.gke.io", "topology.kubernetes.io/zone"),
    ],
)
def test_storage_drivers_and_topology_keys(cloud: str, driver: str, topology_key: str) -> None:
    (entry,) = lookup(loop="storage", cloud=cloud)
    assert driver in entry.csi_drivers
    assert topology_key in entry.topology_keys


@pytest.mark.parametrize(
    ("cloud", "annotation", "primitive"),
    [
        ("aws", "ServiceAccount: eks.amazonaws.com/role-arn", "IRSA / IAM Roles"),
        ("azure", "ServiceAccount: azure.workload.identity/client-id", "AKS Workload Identity / Entra ID"),
        ("gcp", "ServiceAccount: iam.gke.io/gcp-service-account", "GKE Workload Identity Federation"),
    ],
)
def test_identity_annotations(cloud: str, annotation: str, primitive: str) -> None:
    (entry,) = lookup(loop="identity", cloud=cloud)
    assert annotation in entry.annotations
    assert primitive in entry.primitives


def test_azure_workload_identity_needs_the_pod_label() -> None:
    (entry,) = lookup(loop="identity", cloud="azure")
    assert "Pod: azure.workload.identity/use=true" in entry.labels
    (aws,) = lookup(loop="identity", cloud="aws")
    assert aws.labels == ()


@pytest.mark.parametrize(
    ("cloud", "primitives", "pool_label"),
    [
        ("aws", {"Cluster Autoscaler", "Karpenter", "PriorityClass"}, "Node: eks.amazonaws.com/nodegroup"),
        ("azure", {"KEDA", "Node Pools (system/user)"}, "Node: kubernetes.azure.com/mode"),
        ("gcp", {"cluster autoscaler", "node auto-provisioning"}, "Node: cloud.google.com/gke-nodepool"),
    ],
)
def test_compute_primitives_and_pool_labels(cloud: str, primitives: set[str], pool_label: str) -> None:
    (entry,) = lookup(loop="compute", cloud=cloud)
    assert primitives <= set(entry.primitives)
    assert pool_label in entry.labels


def test_network_primitives() -> None:
    assert {"VPC CNI", "NAT Gateway"} <= set(lookup("network", "aws")[0].primitives)
    assert {"Azure CNI", "NAT Gateway", "Private Endpoints"} <= set(lookup("network", "azure")[0].primitives)
    assert "Cloud NAT" in lookup("network", "gcp")[0].primitives


def test_lookup_filters() -> None:
    gcp = lookup(cloud="gcp")
    assert [e.loop for e in gcp] == list(LOOPS)
    assert {e.cloud for e in lookup(loop="network")} == set(CLOUDS)
    assert lookup() == table()


@pytest.mark.parametrize(("loop", "cloud"), [("billing", None), (None, "oracle"), ("Storage", "azure")])
def test_unknown_names_are_bad_input(loop: str | None, cloud: str | None) -> None:
    with pytest.raises(BadInputError, match="unknown"):
        lookup(loop=loop, cloud=cloud)


def test_failure_modes_name_catalogue_rules() -> None:
    for entry in table():
        assert entry.failure_modes, (entry.loop, entry.cloud)
        for fm in entry.failure_modes:
            assert fm.rules
            for rid in fm.rules:
                loop, _, name = rid.partition(".")
                assert loop == entry.loop, (entry.loop, rid)
                assert name in CATALOGUE[loop], rid


def test_seed_anti_pattern_table_is_covered() -> None:
    symptoms = {fm.symptom for e in table() for fm in e.failure_modes}
    assert {"ImagePullBackOff", "Pending pods", "502 / 504 errors"} <= symptoms
    assert any("stuck StatefulSet" in s for s in symptoms)


def test_docs_are_https_and_entries_frozen() -> None:
    entry = table()[0]
    for e in table():
        assert e.docs
        assert all(url.startswith("https://") for url in e.docs)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        entry.loop = "compute"  # type: ignore[misc]


def test_to_dict_is_json_shaped() -> None:
    import json

    (entry,) = lookup("storage", "gcp")
    data = json.loads(json.dumps(entry.to_dict()))
    assert data["csi_drivers"] == ["pd.csi.storage.gke.io", "filestore.csi.storage.gke.io"]
    assert data["failure_modes"][0]["rules"]
    assert isinstance(entry, MappingEntry)


def test_reachable_from_the_package() -> None:
    assert r2c_clouds.mapping.lookup(loop="storage", cloud="azure") == lookup("storage", "azure")


def test_map_observability_from_the_cli(capsys: Any) -> None:
    from r2c_clouds.cli import main

    assert main(["map", "--loop", "observability", "--cloud", "gcp"]) == 0
    assert "Managed Service for Prometheus" in capsys.readouterr().out
