"""Azure Resource Manager names without the SDK: clouds and endpoints, credential kinds,
ARM operations (the RBAC actions calls are counted and refused under), resource ids.

Importing this module imports no azure package, so the provider class can use it at class
and module level (``--help``, ``--cloud auto``) without loading azure-core.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "BATCH_METRICS_READ",
    "CLOUDS",
    "CREDENTIAL_KINDS",
    "METRICS_HOSTS",
    "arm_operation",
    "parse_resource_id",
    "text",
    "zone_label",
]

#: Azure cloud name → (Resource Manager endpoint, Entra authority host).
CLOUDS: dict[str, tuple[str, str]] = {
    "AzureCloud": ("https://management.azure.com", "login.microsoftonline.com"),
    "AzureUSGovernment": ("https://management.usgovcloudapi.net", "login.microsoftonline.us"),
    "AzureChinaCloud": ("https://management.chinacloudapi.cn", "login.chinacloudapi.cn"),
}

#: Azure cloud name → host suffix of the regional metrics data plane (``metrics:getBatch``),
#: which is also the token audience (``https://<suffix>/.default``).
METRICS_HOSTS: dict[str, str] = {
    "AzureCloud": "metrics.monitor.azure.com",
    "AzureUSGovernment": "metrics.monitor.azure.us",
    "AzureChinaCloud": "metrics.monitor.azure.cn",
}

#: The RBAC action ``metrics:getBatch`` is authorized with (the operation name it is counted under).
BATCH_METRICS_READ = "Microsoft.Insights/Metrics/Read"

#: ``--azure-credential`` values.
CREDENTIAL_KINDS = ("default", "cli", "environment", "workload-identity", "managed-identity")


def arm_operation(method: str, url: str) -> str:
    """The ARM operation (RBAC action) a request performs.

    >>> arm_operation("GET", "https://management.azure.com/subscriptions/s/resourceGroups/rg/"
    ...     "providers/Microsoft.Compute/disks/d1?api-version=2024-03-02")
    'Microsoft.Compute/disks/read'
    >>> arm_operation("GET", "https://management.azure.com/subscriptions/s/resourceGroups/rg/"
    ...     "providers/Microsoft.ContainerRegistry/registries/acr/providers/"
    ...     "Microsoft.Authorization/roleAssignments")
    'Microsoft.Authorization/roleAssignments/read'
    >>> arm_operation("POST", "https://westeurope.metrics.monitor.azure.com/subscriptions/s/metrics:getBatch")
    'Microsoft.Insights/Metrics/Read'
    """
    parts = [p for p in urlsplit(url).path.split("/") if p]
    lowered = [p.lower() for p in parts]
    if lowered and lowered[-1] == "metrics:getbatch":
        return BATCH_METRICS_READ  # the regional metrics data plane, authorized as metrics read
    if "providers" not in lowered:
        kind = "resourceGroups" if "resourcegroups" in lowered else "subscriptions"
        return f"Microsoft.Resources/{kind}/read"
    i = len(lowered) - 1 - lowered[::-1].index("providers")
    rest = parts[i + 1 :]
    if not rest:
        return "Microsoft.Resources/providers/read"
    namespace, types = rest[0], rest[1::2]
    verb = {"GET": "read", "PUT": "write", "PATCH": "write", "DELETE": "delete"}.get(method.upper(), "action")
    if verb == "action" and len(rest) % 2 == 0:
        # POST .../resource/listKeys: the last segment names the action.
        return "/".join([namespace, *rest[1:-1:2], rest[-1]]) + "/action"
    return "/".join([namespace, *types, verb])


def parse_resource_id(resource_id: str) -> dict[str, str]:
    """Split an ARM resource id into ``subscription``, ``resource_group``, ``name`` (last
    segment) and ``type`` (``Microsoft.Compute/disks``)."""
    parts = [p for p in resource_id.split("/") if p]
    out: dict[str, str] = {}
    lowered = [p.lower() for p in parts]
    for key, seg in (("subscription", "subscriptions"), ("resource_group", "resourcegroups")):
        if seg in lowered and lowered.index(seg) + 1 < len(parts):
            out[key] = parts[lowered.index(seg) + 1]
    if "providers" in lowered:
        i = len(lowered) - 1 - lowered[::-1].index("providers")
        rest = parts[i + 1 :]
        if rest:
            out["type"] = "/".join([rest[0], *rest[1::2]])
    if parts:
        out["name"] = parts[-1]
    return out


def zone_label(location: str | None, zone: str) -> str:
    """ARM zone ``"1"`` as the Kubernetes topology label writes it (``westeurope-1``).

    >>> zone_label("westeurope", "1")
    'westeurope-1'
    """
    if not location or "-" in zone:
        return zone
    return f"{location.lower().replace(' ', '')}-{zone}"


def text(value: Any) -> str | None:
    """An SDK enum or string as its wire value (``managedNATGateway``), ``None`` if unset."""
    if value is None or value == "":
        return None
    return str(getattr(value, "value", value))
