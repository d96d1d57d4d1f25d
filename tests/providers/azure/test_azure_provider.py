"""The Azure provider over replayed ARM HTTP: the real azure-mgmt-* clients (pipelines,
serialization, paging, retry) run under azure-core's RequestsTransport, intercepted by
``responses``; a fake TokenCredential stands in for Entra ID."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import responses
from arm_world_azure import CLUSTER_ID, DISK_ID, NODE_RG, RG, SUB, SUBNET_ID, ArmWorld
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import AzureCliCredential, CredentialUnavailableError, EnvironmentCredential

import r2c_clouds as r2c
from r2c_clouds.demo._build import aks as demo
from r2c_clouds.errors import BadInputError, CloudUnreachableError
from r2c_clouds.loops import StorageQuestions, VolumeRef
from r2c_clouds.model.cloud import NotChecked
from r2c_clouds.providers import gather_facts
from r2c_clouds.providers.azure import AzureProvider
from r2c_clouds.providers.azure._arm import arm_operation
from r2c_clouds.providers.azure._client import make_credential

ROOT = Path(__file__).resolve().parents[3]
#: Every ARM operation any test in this module sent (checked against the documented role).
SENT: set[str] = set()


class FakeCredential:
    """A TokenCredential that records the scopes asked for."""

    def __init__(self, fail: Exception | None = None) -> None:
        self.scopes: list[str] = []
        self.fail = fail

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        if self.fail is not None:
            raise self.fail
        self.scopes.extend(scopes)
        return AccessToken("fake-arm-token", int(time.time()) + 3600)


@pytest.fixture
def arm() -> Iterator[tuple[responses.RequestsMock, list[ArmWorld]]]:
    """A RequestsMock whose callbacks route to the ArmWorld a test installs."""
    worlds: list[ArmWorld] = []
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps, worlds
    for w in worlds:
        SENT.update(w.operations)


def install(arm: tuple[responses.RequestsMock, list[ArmWorld]], world: ArmWorld) -> ArmWorld:
    rsps, worlds = arm
    worlds.append(world)
    def callback(request: Any) -> tuple[int, dict[str, str], bytes]:
        body = request.body.encode() if isinstance(request.body, str) else request.body
        return world.handle(request.method, request.url, body)

    for base in filter(None, (world.base, world.metrics_base)):
        pattern = re.compile(re.escape(base) + r"/.*")
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            rsps.add_callback(method, pattern, callback=callback)
    return world


def provider(cred: FakeCredential | None = None, **options: Any) -> AzureProvider:
    options.setdefault("subscription", SUB)
    options.setdefault("resource_group", RG)
    options.setdefault("cluster_name", demo.NAME)
    return AzureProvider(cred or FakeCredential(), **options)


def findings(report: r2c.Report) -> set[tuple[str, str]]:
    return {(f.rule, str(f.subject)) for f in report.findings}


# ----------------------------------------------------------------------------- end to end


def test_azure_live_scan_matches_recorded_facts(arm: Any) -> None:
    cluster = r2c.demo("aks")
    world = install(arm, ArmWorld())
    live = r2c.scan(cluster, cloud=AzureProvider.for_cluster(cluster, credential=FakeCredential()))
    recorded = r2c.scan(cluster, cloud="recorded")
    assert findings(live) == findings(recorded)
    assert ("identity.trust-mismatch", "ServiceAccount/payments/ledger") in findings(live)
    # auto-detected from the node label: one (paged) list of managed clusters, then no GET
    assert world.operations.count("Microsoft.ContainerService/managedClusters/read") == 2
    assert live.facts is not None and live.facts.cluster_name == demo.NAME and live.facts.region == "westeurope"


def test_azure_facts_shape(arm: Any) -> None:
    install(arm, ArmWorld())
    cluster = r2c.demo("aks")
    facts = gather_facts(provider(), cluster)
    pools = {p.name: p for p in facts.node_pools}
    assert pools["user"].zones == ("westeurope-2", "westeurope-3")
    assert (pools["system"].mode, pools["system"].min_size, pools["system"].max_size) == ("System", 3, 5)
    assert pools["system"].instance_types == ("Standard_D4ds_v5",) and pools["system"].autoscaling is True
    ledger = facts.binding("payments", "ledger")
    assert ledger is not None and ledger.exists and not ledger.trusted
    assert ledger.problems == (
        "federated credential fic-ledger subject system:serviceaccount:payment:ledger does not match "
        "system:serviceaccount:payments:ledger",
    )
    api = facts.binding("payments", "api")
    assert api is not None and api.trusted and api.audiences == ("api://AzureADTokenExchange",)
    assert facts.cluster_identity is not None and facts.cluster_identity.oidc_issuer == demo.ISSUER
    assert facts.cluster_identity.workload_identity_enabled is True
    disk = facts.disk(DISK_ID)
    assert disk is not None and disk.zones == ("westeurope-1",) and not disk.zone_redundant and disk.sku == "Premium_LRS"
    (gw,) = facts.egress_gateways
    assert (gw.port_allocation_errors, gw.dropped_packets, gw.active_connections) == (2961.0, 4127.0, 61840.0)
    assert gw.subnets == (SUBNET_ID,)
    (sn,) = facts.subnets
    assert (sn.subnet_id, sn.available_ips, sn.total_ips) == (SUBNET_ID, 65522, 65531)
    assert facts.network is not None and facts.network.outbound_type == "managedNATGateway"
    assert facts.network.keda_enabled is False and facts.network.network_plugin_mode == "overlay"
    (ra,) = facts.registry_access
    assert ra.registry == "paymentsacr.azurecr.io" and ra.can_pull
    assert facts.not_checked == ()
    calls = facts.api_calls
    assert calls["Microsoft.ContainerService/managedClusters/read"] == 1  # shared by the four loops
    assert calls["Microsoft.ManagedIdentity/userAssignedIdentities/read"] == 2  # one sweep, two pages
    assert calls["Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read"] == 2
    assert calls["Microsoft.ContainerService/managedClusters/agentPools/read"] == 2  # two pages


def test_azure_fixed_trust_keda_on_no_findings(arm: Any) -> None:
    install(arm, ArmWorld(keda=True, ledger_subject="system:serviceaccount:payments:ledger"))
    report = r2c.scan(r2c.demo("aks"), cloud=provider())
    rules = {rule for rule, _ in findings(report)}
    assert "identity.trust-mismatch" not in rules
    assert "compute.keda-not-enabled" not in rules
    assert "identity.image-pull-auth" not in rules


def test_azure_missing_acr_pull_fires_image_pull_auth(arm: Any) -> None:
    install(arm, ArmWorld(acr_pull=False))
    report = r2c.scan(r2c.demo("aks"), cloud=provider())
    pulls = [f for f in report.findings if f.rule == "identity.image-pull-auth"]
    assert pulls and all("AcrPull" in f.message for f in pulls)
    assert report.facts is not None
    (ra,) = report.facts.registry_access
    assert not ra.can_pull and ra.missing == ("AcrPull",) and ra.principal == demo.KUBELET_IDENTITY


def test_azure_identity_not_found(arm: Any) -> None:
    world = install(arm, ArmWorld())
    world.routes.pop(f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ManagedIdentity/"
                     "userAssignedIdentities/id-ledger/federatedIdentityCredentials".lower())
    path = f"/subscriptions/{SUB}/providers/Microsoft.ManagedIdentity/userAssignedIdentities"
    world._paged(path, [[]])
    report = r2c.scan(r2c.demo("aks"), cloud=provider())
    assert ("identity.identity-not-found", "ServiceAccount/payments/ledger") in findings(report)
    assert report.facts is not None
    b = report.facts.binding("payments", "ledger")
    assert b is not None and not b.exists


def test_azure_workload_identity_disabled(arm: Any) -> None:
    from arm_world_azure import managed_cluster

    world = install(arm, ArmWorld())
    world.set(CLUSTER_ID, managed_cluster(workload_identity=False))
    report = r2c.scan(r2c.demo("aks"), cloud=provider())
    assert "identity.workload-identity-not-enabled" in {rule for rule, _ in findings(report)}


# ----------------------------------------------------------------------------- behaviour


def test_azure_429_retry_after_is_honoured(arm: Any) -> None:
    world = install(arm, ArmWorld(throttle_once=True))
    facts = gather_facts(provider(), r2c.demo("aks"))
    first = world.operations[0]
    assert world.operations.count(first) >= 2  # the throttled request was sent again
    assert facts.not_checked == ()
    assert len(facts.node_pools) == 2 and facts.api_calls[first] >= 2


def test_azure_403_becomes_not_checked(arm: Any) -> None:
    world = install(arm, ArmWorld())
    world.forbidden.add("Microsoft.Compute/disks/read")
    report = r2c.scan(r2c.demo("aks"), cloud=provider())
    assert report.facts is not None
    assert NotChecked("disks", "forbidden: Microsoft.Compute/disks/read") in report.facts.not_checked
    assert report.facts.disks == ()
    assert len(report.facts.node_pools) == 2  # the scan went on


def test_azure_429_outlasting_retries_on_subnet_usage_is_not_checked(arm: Any) -> None:
    world = install(arm, ArmWorld())
    op = "Microsoft.Network/virtualNetworks/usages/read"
    world.failing[op] = 429
    facts = gather_facts(provider(client_kwargs={"retry_total": 1}), r2c.demo("aks"))
    assert facts.not_checked == (NotChecked("subnets", f"throttled: {op} (still rate-limited after retries)"),)
    assert facts.subnets == ()
    assert world.operations.count(op) == 2 and facts.api_calls[op] == 2  # sent, retried once, given up
    # the rest of the network loop arrived
    (gw,) = facts.egress_gateways
    assert gw.port_allocation_errors == 2961.0 and gw.subnets == (SUBNET_ID,)
    assert facts.network is not None and facts.network.outbound_type == "managedNATGateway"


def test_azure_429_outlasting_retries_on_federated_credentials_is_not_checked(arm: Any) -> None:
    world = install(arm, ArmWorld())
    op = "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read"
    world.failing[op] = 429
    facts = gather_facts(provider(client_kwargs={"retry_total": 1}), r2c.demo("aks"))
    # two identities refused alike: one entry
    assert facts.not_checked == (NotChecked("identity_bindings", f"throttled: {op} (still rate-limited after retries)"),)
    assert facts.identity_bindings == () and facts.api_calls[op] == 4
    (ra,) = facts.registry_access  # the rest of the identity loop arrived
    assert ra.can_pull and facts.cluster_identity is not None and facts.cluster_identity.oidc_issuer == demo.ISSUER


def test_azure_403_on_agent_pools_falls_back_to_the_cluster_profiles(arm: Any) -> None:
    world = install(arm, ArmWorld())
    op = "Microsoft.ContainerService/managedClusters/agentPools/read"
    world.forbidden.add(op)
    facts = gather_facts(provider(), r2c.demo("aks"))
    assert facts.not_checked == (NotChecked("node_pools", f"forbidden: {op}"),)
    pools = {p.name: p for p in facts.node_pools}
    assert sorted(pools) == ["system", "user"] and pools["user"].zones == ("westeurope-2", "westeurope-3")
    assert pools["system"].provenance.call == "Microsoft.ContainerService/managedClusters/read"
    assert [s.subnet_id for s in facts.subnets] == [SUBNET_ID]  # network read the node resource group's VNets
    assert world.operations.count(op) == 1  # fetched once for the loops, the refusal too


def test_azure_other_http_errors_name_the_operation(arm: Any) -> None:
    world = install(arm, ArmWorld())
    world.failing["Microsoft.Compute/disks/read"] = 400
    world.routes.pop(f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ManagedIdentity/"
                     "userAssignedIdentities/id-ledger/federatedIdentityCredentials".lower())
    facts = gather_facts(provider(), r2c.demo("aks"))
    fic = "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read"
    assert set(facts.not_checked) == {
        NotChecked("disks", "Microsoft.Compute/disks/read: HTTP 400 BadRequest"),
        NotChecked("identity_bindings", f"{fic}: not found (Not Found)"),
    }
    assert facts.disks == ()
    (api,) = facts.identity_bindings  # the other identity's credentials were read
    assert api.service_account == "api" and api.trusted


def test_azure_403_on_metrics_names_the_permission(arm: Any) -> None:
    world = install(arm, ArmWorld())
    world.forbidden.add("Microsoft.Insights/Metrics/Read")
    facts = gather_facts(provider(), r2c.demo("aks"))
    assert NotChecked("egress_gateways", "forbidden: Microsoft.Insights/Metrics/Read") in facts.not_checked
    assert len(facts.egress_gateways) == 1, (facts.not_checked, world.operations)
    assert facts.egress_gateways[0].port_allocation_errors is None


def test_azure_user_assigned_nat_gateway_found_through_subnet(arm: Any) -> None:
    world = install(arm, ArmWorld(user_nat=True))
    report = r2c.scan(r2c.demo("aks"), cloud=provider())
    assert report.facts is not None
    (gw,) = report.facts.egress_gateways
    assert gw.gateway_id == demo.NAT_ID and gw.port_allocation_errors == 2961.0
    assert "Microsoft.Network/virtualNetworks/subnets/read" in world.operations
    assert "Microsoft.Network/virtualNetworks/read" not in world.operations  # pools name their subnet
    assert any(f.rule == "network.nat-saturation" for f in report.findings)


def test_azure_missing_disk_reported_not_existing(arm: Any) -> None:
    install(arm, ArmWorld())
    gone = DISK_ID.rsplit("/", 1)[0] + "/pvc-00000000-0000-4000-8000-000000000000"
    answer = provider().storage(StorageQuestions((VolumeRef("pv-gone", "disk.csi.azure.com", gone),)))
    (d,) = answer.disks
    assert d.volume_handle == gone and not d.exists


def test_azure_many_disks_one_paged_list(arm: Any) -> None:
    world = install(arm, ArmWorld())
    base = f"/subscriptions/{SUB}/resourceGroups/{NODE_RG.lower()}/providers/Microsoft.Compute/disks"
    disks = []
    for i in range(5):
        did = f"{base}/pvc-{i}"
        disks.append({"id": did, "name": f"pvc-{i}", "type": "Microsoft.Compute/disks", "location": "westeurope",
                      "zones": None if i == 4 else [str(i % 3 + 1)],
                      "sku": {"name": "Premium_ZRS" if i == 4 else "Premium_LRS", "tier": "Premium"},
                      "managedBy": f"/subscriptions/{SUB}/resourceGroups/{NODE_RG}/providers/Microsoft.Compute/"
                                   f"virtualMachineScaleSets/aks-user-27182818-vmss/virtualMachines/{i}",
                      "properties": {"diskSizeGB": 32, "diskState": "Attached", "creationData": {"createOption": "Empty"}}})
    world._paged(base, [disks[:3], disks[3:]])
    answer = provider().storage(StorageQuestions(tuple(
        VolumeRef(f"pv-{i}", "disk.csi.azure.com", d["id"]) for i, d in enumerate(disks))))
    by = {d.volume_handle.rsplit("/", 1)[-1]: d for d in answer.disks}
    assert by["pvc-0"].zones == ("westeurope-1",) and by["pvc-0"].attached_to[0].endswith("/virtualMachines/0")
    assert by["pvc-4"].zone_redundant and by["pvc-4"].zones == ()
    assert world.operations.count("Microsoft.Compute/disks/read") == 2  # one list, two pages


def test_azure_no_credential_is_unreachable(arm: Any) -> None:
    install(arm, ArmWorld())
    cred = FakeCredential(fail=CredentialUnavailableError("Please run 'az login' to set up an account"))
    with pytest.raises(CloudUnreachableError, match=r"no usable credential.*az login"):
        gather_facts(provider(cred), r2c.demo("aks"))
    cred = FakeCredential(fail=ClientAuthenticationError("AADSTS7000215: Invalid client secret provided."))
    with pytest.raises(CloudUnreachableError, match="AADSTS7000215"):
        gather_facts(provider(cred), r2c.demo("aks"))


def test_azure_unreachable_endpoint(arm: Any) -> None:
    install(arm, ArmWorld())  # serves management.azure.com only
    p = provider(arm_endpoint="https://arm.unreachable.example", client_kwargs={"retry_total": 0})
    with pytest.raises(CloudUnreachableError, match=re.escape("cannot reach https://arm.unreachable.example")):
        gather_facts(p, r2c.demo("aks"))


@pytest.mark.parametrize(("cloud", "endpoint"), [
    ("AzureUSGovernment", "https://management.usgovcloudapi.net"),
    ("AzureChinaCloud", "https://management.chinacloudapi.cn"),
])
def test_azure_sovereign_clouds(arm: Any, cloud: str, endpoint: str) -> None:
    world = install(arm, ArmWorld(base=endpoint))
    cred = FakeCredential()
    facts = gather_facts(provider(cred, cloud=cloud), r2c.demo("aks"))
    assert len(facts.node_pools) == 2 and world.operations
    suffix = "us" if "usgov" in endpoint else "cn"
    assert set(cred.scopes) == {f"{endpoint}/.default", f"https://metrics.monitor.azure.{suffix}/.default"}
    assert world.batches and facts.egress_gateways[0].port_allocation_errors == 2961.0


def test_azure_custom_arm_endpoint_derives_scope(arm: Any) -> None:
    world = install(arm, ArmWorld(base="https://management.local.azurestack.external"))
    cred = FakeCredential()
    facts = gather_facts(provider(cred, arm_endpoint="https://management.local.azurestack.external/"), r2c.demo("aks"))
    assert facts.cluster_name == demo.NAME and world.operations
    assert set(cred.scopes) == {"https://management.local.azurestack.external/.default"}


def test_azure_options_and_credentials() -> None:
    assert isinstance(make_credential("cli", "login.microsoftonline.com"), AzureCliCredential)
    assert isinstance(make_credential("environment", "login.microsoftonline.com"), EnvironmentCredential)
    with pytest.raises(BadInputError, match="--azure-credential 'token'"):
        make_credential("token", "login.microsoftonline.com")
    with pytest.raises(BadInputError, match="unknown Azure cloud"):
        AzureProvider(FakeCredential(), subscription=SUB, resource_group=RG, cluster_name="c", cloud="AzureGermany")
    with pytest.raises(BadInputError, match="no subscription"):
        AzureProvider(FakeCredential(), resource_group=RG, cluster_name="c")


def test_azure_for_cluster_detects_subscription_and_node_rg() -> None:
    p = AzureProvider.for_cluster(r2c.demo("aks"), credential=FakeCredential())
    assert p.session.subscription == SUB and p.node_resource_group == NODE_RG
    assert p.resource_group is None  # found by listing managed clusters, lazily


def test_azure_arm_operation_names() -> None:
    assert arm_operation("GET", f"https://management.azure.com{CLUSTER_ID}/agentPools?api-version=2026-08-01") == (
        "Microsoft.ContainerService/managedClusters/agentPools/read")
    assert arm_operation("GET", f"https://management.azure.com/subscriptions/{SUB}/resourceGroups/{RG}") == (
        "Microsoft.Resources/resourceGroups/read")
    assert arm_operation("POST", f"https://management.azure.com{CLUSTER_ID}/listClusterUserCredential") == (
        "Microsoft.ContainerService/managedClusters/listClusterUserCredential/action")


def test_azure_sdk_not_imported_by_core() -> None:
    code = ("import sys, r2c_clouds, r2c_clouds.providers, r2c_clouds.cli\n"
            "bad = sorted(m for m in sys.modules if m == 'azure' or m.startswith('azure.'))\n"
            "assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_azure_loading_the_class_imports_no_sdk_constructing_a_provider_does() -> None:
    code = textwrap.dedent("""
        import sys
        from importlib.metadata import entry_points

        (ep,) = [e for e in entry_points(group="r2c_clouds.providers") if e.name == "azure"]
        cls = ep.load()
        loaded = sorted(m for m in sys.modules if m == "azure" or m.startswith("azure."))
        assert not loaded, loaded
        import r2c_clouds.providers.azure as pkg

        assert cls is pkg.AzureProvider
        assert cls.cli_options and cls.provider_id_schemes == ("azure",)
        assert cls.missing_sdk() is None  # finds the SDK without importing it
        assert "azure.core" not in sys.modules and "azure.identity" not in sys.modules

        class Cred:
            def get_token(self, *scopes, **kwargs):
                raise AssertionError("no call expected")

        p = cls(Cred(), subscription="s", resource_group="rg", cluster_name="c")
        assert "azure.core" in sys.modules and "r2c_clouds.providers.azure._client" in sys.modules
        assert "r2c_clouds.providers.azure.network" not in sys.modules  # a loop loads when first asked
        assert p.api_calls() == {}
        print("ok")
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


def test_azure_provider_has_the_kit_shape() -> None:
    from importlib import import_module

    from r2c_clouds.providers.kit import LOOP_MODULES, CloudProvider

    assert issubclass(AzureProvider, CloudProvider)
    assert (AzureProvider.name, AzureProvider.provider_id_schemes) == ("azure", ("azure",))
    assert AzureProvider.requires == ("azure.mgmt.containerservice", "azure.identity")
    assert AzureProvider.missing_sdk() is None
    options = {o.flag: o for o in AzureProvider.cli_options}
    assert list(options) == ["--subscription", "--resource-group", "--cluster-name", "--arm-endpoint", "--azure-credential"]
    assert options["--subscription"].env == "AZURE_SUBSCRIPTION_ID" and options["--arm-endpoint"].metavar == "URL"
    params = inspect.signature(AzureProvider.__init__).parameters
    assert [o.dest for o in options.values() if o.dest not in params] == []  # every flag is a keyword
    for loop in LOOP_MODULES:
        assert loop not in vars(AzureProvider)  # the kit dispatches to the loop module
        module = import_module(f"r2c_clouds.providers.azure.{loop}")
        assert list(inspect.signature(module.answer).parameters) == ["provider", "questions"]


@pytest.mark.parametrize("workers", [1, 3])
def test_azure_calls_run_on_the_providers_workers_only(arm: Any, workers: int) -> None:
    world = install(arm, ArmWorld(private=True))
    _many_gateways(world, 51)  # two batch chunks per query: metrics jobs run side by side
    p = provider(max_workers=workers)
    facts = gather_facts(p, r2c.demo("aks"))
    assert facts.not_checked == () and len(facts.egress_gateways) == 51 and len(facts.private_endpoints) == 2
    assert facts.api_calls == p.calls.snapshot() and facts.api_calls["Microsoft.Insights/Metrics/Read"] == 6
    pool = {n for n in world.threads if n.startswith("r2c-azure")}
    assert all(re.fullmatch(r"r2c-azure_\d+", n) for n in pool), pool  # no pool of a loop's own
    assert (1 <= len(pool) <= workers) if workers > 1 else pool == set()  # one worker: all inline
    p.close()


# ----------------------------------------------------------------------------- least privilege


def documented_actions() -> set[str]:
    text = (ROOT / "docs" / "providers" / "azure.md").read_text(encoding="utf-8")
    block = re.search(r"```json\n(.*?)```", text, re.S)
    assert block is not None, "docs/providers/azure.md has no custom role JSON"
    import json

    role = json.loads(block.group(1))
    return set(role["Actions"])


def test_azure_sends_only_documented_actions(arm: Any) -> None:
    world = install(arm, ArmWorld())
    cluster = r2c.demo("aks")
    gather_facts(AzureProvider.for_cluster(cluster, credential=FakeCredential()), cluster)
    other = install(arm, ArmWorld(base="https://management.usgovcloudapi.net", user_nat=True))
    gather_facts(provider(cloud="AzureUSGovernment"), cluster)
    stack = install(arm, ArmWorld(base="https://management.local.azurestack.external", private=True))
    gather_facts(provider(arm_endpoint="https://management.local.azurestack.external"), cluster)  # per-resource metrics
    # RBAC action names are case-insensitive: metrics:getBatch is Microsoft.Insights/Metrics/Read,
    # the per-resource fallback the same action spelled Microsoft.Insights/metrics/read.
    sent = {op.lower() for op in (*world.operations, *other.operations, *stack.operations, *SENT)}
    documented = {a.lower() for a in documented_actions()}
    assert sent - documented == set()
    # and the role holds nothing the plugin never sends
    assert documented - sent == set()


def test_azure_403_on_cluster_read_marks_every_family(arm: Any) -> None:
    world = install(arm, ArmWorld())
    world.forbidden.add("Microsoft.ContainerService/managedClusters/read")
    facts = gather_facts(provider(), r2c.demo("aks"))
    families = {nc.what for nc in facts.not_checked}
    assert {"cluster_identity", "identity_bindings", "registry_access", "node_pools", "network",
            "egress_gateways", "subnets"} <= families
    assert all(nc.reason == "forbidden: Microsoft.ContainerService/managedClusters/read"
               for nc in facts.not_checked if nc.what != "disks")
    assert world.operations.count("Microsoft.ContainerService/managedClusters/read") == 1  # not retried per loop
    assert facts.disks  # storage needs no cluster read


@pytest.mark.parametrize(("change", "problem"), [
    ({"issuer": "https://westeurope.oic.prod-aks.azure.com/other/"}, "issuer https://westeurope.oic.prod-aks.azure.com/other/ does not match"),
    ({"issuer": demo.ISSUER.rstrip("/")}, "differs only in trailing slash or case"),
    ({"audiences": ["api://AzureADTokenExchangeX"]}, "lack api://AzureADTokenExchange"),
])
def test_azure_federated_credential_problems(change: dict[str, Any], problem: str) -> None:
    from types import SimpleNamespace

    from r2c_clouds.loops import WorkloadIdentityRef
    from r2c_clouds.providers.azure.identity import evaluate

    ref = WorkloadIdentityRef("payments", "api", "azure-workload-identity", demo.API_CLIENT_ID)
    good = {"name": "fic-api", "issuer": demo.ISSUER, "subject": "system:serviceaccount:payments:api",
            "audiences": ["api://AzureADTokenExchange"]}
    assert evaluate(demo.ISSUER, ref, [SimpleNamespace(**good)]) == (True, ())
    trusted, problems = evaluate(demo.ISSUER, ref, [SimpleNamespace(**(good | change))])
    assert not trusted and any(problem in p for p in problems)


# ----------------------------------------------------------------------------- NAT metrics through metrics:getBatch


def _many_gateways(world: ArmWorld, n: int) -> list[str]:
    """``n`` managed NAT gateways in the node resource group (two list pages), known to the batch endpoint."""
    base = f"/subscriptions/{SUB}/resourceGroups/{NODE_RG}/providers/Microsoft.Network/natGateways"
    gws = [{"id": f"{base}/nat-{i:02d}", "name": f"nat-{i:02d}", "type": "Microsoft.Network/natGateways",
            "location": "westeurope", "sku": {"name": "Standard"}, "zones": [str(i % 3 + 1)],
            "properties": {"provisioningState": "Succeeded", "idleTimeoutInMinutes": 4, "subnets": [{"id": SUBNET_ID}]}}
           for i in range(n)]
    world._paged(base, [gws[:30], gws[30:]])
    world.nat_gateways = {g["id"]: "westeurope" for g in gws}
    return [g["id"] for g in gws]


def test_azure_51_gateways_two_batch_calls_per_metric_query(arm: Any) -> None:
    world = install(arm, ArmWorld())
    ids = _many_gateways(world, 51)
    cred = FakeCredential()
    facts = gather_facts(provider(cred), r2c.demo("aks"))
    by_query: dict[str, list[int]] = {}
    for names, n in world.batches:
        by_query.setdefault(names, []).append(n)
    assert {q: sorted(ns) for q, ns in by_query.items()} == {
        "SNATConnectionCount": [1, 50],
        "TotalConnectionCount,PacketDropCount": [1, 50],
        "DatapathAvailability": [1, 50],
    }
    assert facts.api_calls["Microsoft.Insights/Metrics/Read"] == 6
    assert "Microsoft.Insights/metrics/read" not in facts.api_calls  # no per-resource request
    got = {g.gateway_id: g for g in facts.egress_gateways}
    assert sorted(got) == sorted(ids)
    assert all((g.port_allocation_errors, g.dropped_packets, g.active_connections, g.datapath_availability)
               == (2961.0, 4127.0, 61840.0, 100.0) for g in got.values())
    assert got[ids[50]].provenance.call == "Microsoft.Insights/Metrics/Read"
    assert "https://metrics.monitor.azure.com/.default" in cred.scopes  # the data plane's own audience
    assert set(cred.scopes) == {"https://management.azure.com/.default", "https://metrics.monitor.azure.com/.default"}


def test_azure_batch_result_missing_for_a_gateway_leaves_its_metrics_unknown(arm: Any) -> None:
    world = install(arm, ArmWorld())
    ids = _many_gateways(world, 3)
    del world.nat_gateways[ids[1]]  # the batch answers no values entry for it
    facts = gather_facts(provider(), r2c.demo("aks"))
    got = {g.gateway_id: g for g in facts.egress_gateways}
    assert got[ids[1]].port_allocation_errors is None and got[ids[1]].datapath_availability is None
    assert got[ids[0]].port_allocation_errors == 2961.0 and got[ids[2]].port_allocation_errors == 2961.0
    assert [n for _, n in world.batches] == [3, 3, 3]


def test_azure_custom_arm_endpoint_falls_back_to_per_resource_metrics(arm: Any) -> None:
    world = install(arm, ArmWorld(base="https://management.local.azurestack.external", datapath=[100.0] * 11 + [70.0]))
    cred = FakeCredential()
    facts = gather_facts(provider(cred, arm_endpoint="https://management.local.azurestack.external"), r2c.demo("aks"))
    (gw,) = facts.egress_gateways
    assert (gw.port_allocation_errors, gw.dropped_packets, gw.active_connections) == (2961.0, 4127.0, 61840.0)
    assert gw.datapath_availability == 97.5 and gw.provenance.call == "Microsoft.Insights/metrics/read"
    assert world.operations.count("Microsoft.Insights/metrics/read") == 3  # one per query
    assert world.batches == [] and set(cred.scopes) == {"https://management.local.azurestack.external/.default"}


def test_azure_metrics_endpoint_override(arm: Any) -> None:
    world = install(arm, ArmWorld(metrics_base="https://westeurope.metrics.proxy.example"))
    cred = FakeCredential()
    facts = gather_facts(provider(cred, metrics_endpoint="https://{region}.metrics.proxy.example"), r2c.demo("aks"))
    assert len(world.batches) == 3 and facts.egress_gateways[0].datapath_availability == 100.0
    assert "https://metrics.proxy.example/.default" in cred.scopes


def test_azure_low_datapath_availability_reported_by_nat_saturation(arm: Any) -> None:
    install(arm, ArmWorld(datapath=[100.0] * 10 + [85.0, 91.0]))
    report = r2c.scan(r2c.demo("aks"), cloud=provider())
    assert report.facts is not None
    (gw,) = report.facts.egress_gateways
    assert gw.datapath_availability == 98.0
    (f,) = [f for f in report.findings if f.rule == "network.nat-saturation"]
    assert "datapath availability was 98%" in f.message
    assert any(e.detail == "datapath availability 98% (average) over the last 60 min" for e in f.evidence)


# ----------------------------------------------------------------------------- private endpoints


def test_azure_private_cluster_and_data_store_endpoints(arm: Any) -> None:
    from arm_world_azure import API_PE_ID, BLOB_PE_ID, DATA_SUBNET_ID, REPORTS_SA

    world = install(arm, ArmWorld(private=True))
    report = r2c.scan(r2c.demo("aks"), cloud=provider())
    assert report.facts is not None
    pes = {pe.endpoint_id: pe for pe in report.facts.private_endpoints}
    assert sorted(pes) == sorted([API_PE_ID, BLOB_PE_ID])  # pe-other-team is in the group but not in the cluster's VNet
    api = pes[API_PE_ID]
    assert (api.state, api.group_ids, api.target_resource_id, api.subnet_id) == ("Approved", ("management",), CLUSTER_ID, SUBNET_ID)
    assert api.dns_zones == ("8c2f4e1a-6b3d-4c7e-9a0f-2d5b8e1c4f7a.privatelink.westeurope.azmk8s.io",)
    blob = pes[BLOB_PE_ID]
    assert (blob.state, blob.group_ids, blob.target_resource_id, blob.subnet_id) == ("Pending", ("blob",), REPORTS_SA, DATA_SUBNET_ID)
    assert blob.dns_zones == ()
    flagged = [str(f.subject) for f in report.findings if f.rule == "network.private-endpoint-not-approved"]
    assert flagged == ["PrivateEndpoint/pe-paymentsreports-blob"]
    assert world.operations.count("Microsoft.Network/privateEndpoints/read") == 2  # node RG + the endpoint's RG
    assert world.operations.count("Microsoft.Network/virtualNetworks/subnets/read") == 1  # one list per VNet


def test_azure_public_cluster_has_no_private_endpoints_and_no_finding(arm: Any) -> None:
    install(arm, ArmWorld())
    report = r2c.scan(r2c.demo("aks"), cloud=provider())
    assert report.facts is not None and report.facts.private_endpoints == ()
    assert not [f for f in report.findings if f.rule == "network.private-endpoint-not-approved"]
    assert "network.private-endpoint-not-approved" not in {nc.what for nc in report.not_checked}


def test_azure_403_on_private_endpoints_is_not_checked(arm: Any) -> None:
    world = install(arm, ArmWorld(private=True))
    world.forbidden.add("Microsoft.Network/privateEndpoints/read")
    report = r2c.scan(r2c.demo("aks"), cloud=provider())
    assert report.facts is not None and report.facts.private_endpoints == ()
    assert NotChecked("private_endpoints", "forbidden: Microsoft.Network/privateEndpoints/read") in report.facts.not_checked
    assert any(nc.what == "network.private-endpoint-not-approved" and "forbidden" in nc.reason for nc in report.not_checked)


def test_azure_new_facts_survive_recording(arm: Any, tmp_path: Path) -> None:
    from r2c_clouds.loops import NetworkQuestions
    from r2c_clouds.providers.recorded import RecordedProvider, dump_facts, load_facts

    install(arm, ArmWorld(private=True, datapath=[99.5] * 12))
    facts = gather_facts(provider(), r2c.demo("aks"))
    path = tmp_path / "cloud-facts.json"
    path.write_bytes(dump_facts(facts))
    again = load_facts(path)
    assert again.private_endpoints == facts.private_endpoints and len(again.private_endpoints) == 2
    assert again.egress_gateways[0].datapath_availability == 99.5
    replay = RecordedProvider(again).network(NetworkQuestions())
    assert replay.private_endpoints == facts.private_endpoints


def test_recorded_facts_without_the_new_fields_still_load(tmp_path: Path) -> None:
    import json

    from r2c_clouds.providers.recorded import load_facts

    doc = json.loads((ROOT / "r2c_clouds" / "demo" / "aks" / "cloud-facts.json").read_text(encoding="utf-8"))
    assert "private_endpoints" in doc["facts"]
    del doc["facts"]["private_endpoints"]  # a file recorded before these fields existed
    for gw in doc["facts"]["egress_gateways"]:
        del gw["datapath_availability"]
    path = tmp_path / "cloud-facts.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    facts = load_facts(path)
    assert facts.private_endpoints == () and facts.egress_gateways
    assert all(gw.datapath_availability is None for gw in facts.egress_gateways)
