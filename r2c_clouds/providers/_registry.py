"""Provider plugins: discovered through the entry-point group ``r2c_clouds.providers``.

Names are listed without importing anything; only the provider asked for is loaded, and
both hits and misses are cached. The core names no cloud: ``aws``, ``azure`` and ``gcp``
register themselves in the package metadata exactly as a third-party plugin would.
"""

from __future__ import annotations

import functools
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Any

from r2c_clouds.errors import BadInputError, CloudUnreachableError, UnknownProviderError
from r2c_clouds.loops import Provider
from r2c_clouds.model.cluster import ClusterState
from r2c_clouds.providers.kit import Option

if TYPE_CHECKING:
    from r2c_clouds.model.checklist import ChecklistContext
    from r2c_clouds.model.findings import ChecklistItem

__all__ = ["GROUP", "cli_options", "cloud_checklist_items", "detect_cloud", "load_provider", "make_provider", "provider_classes", "provider_names"]

GROUP = "r2c_clouds.providers"

#: extra to install for a provider that is declared but whose SDK is missing.
INSTALL_HINT = "pip install 'r2c_clouds[{name}]'"


@functools.cache
def _registered() -> tuple[EntryPoint, ...]:
    """The group's entry points, read once per process (the CLI asks for them per subcommand
    while it builds its parser; each read walks every installed distribution's metadata)."""
    return tuple(entry_points(group=GROUP))


def provider_names() -> list[str]:
    """Names of every registered provider, sorted."""
    return sorted({ep.name for ep in _registered()})


@functools.cache
def load_provider(name: str) -> Any:
    """Load the provider class registered as ``name`` (a plugin's class imports no SDK: that
    happens when a provider is built).

    Raises:
        UnknownProviderError: no such provider, or it cannot be imported.
    """
    for ep in _registered():
        if ep.name == name:
            try:
                return ep.load()
            except ImportError as exc:
                raise UnknownProviderError(
                    f"provider {name!r} cannot be loaded: {exc}",
                    remediation=INSTALL_HINT.format(name=name),
                ) from exc
    known = ", ".join(provider_names()) or "none"
    raise UnknownProviderError(f"unknown cloud provider {name!r} (registered: {known})")


def provider_classes() -> dict[str, Any]:
    """Every registered provider class that loads, by name (a broken plugin is left out)."""
    out: dict[str, Any] = {}
    for name in provider_names():
        try:
            out[name] = load_provider(name)
        except UnknownProviderError:
            continue
    return out


def cli_options() -> list[tuple[Option, tuple[str, ...]]]:
    """The command-line options the plugins declare, each flag once with the providers that
    take it (``--cluster-name``: aws, azure, gcp), in the plugins' order."""
    merged: dict[str, list[tuple[str, Option]]] = {}
    for name, cls in provider_classes().items():
        for opt in getattr(cls, "cli_options", ()):
            merged.setdefault(opt.flag, []).append((name, opt))
    out = []
    for owned in merged.values():
        first = owned[0][1]
        if len(owned) > 1:  # one flag, several clouds: each says what it means there
            first = Option(first.flag, "; ".join(f"{n}: {o.help}" for n, o in owned), first.metavar, first.env)
        out.append((first, tuple(n for n, _ in owned)))
    return out


def detect_cloud(cluster: ClusterState) -> str | None:
    """The provider a cluster runs on, from its nodes' ``spec.providerID`` scheme (``aws://``,
    ``azure://``, ``gce://``) as the plugins declare them (``provider_id_schemes``); ``None``
    if nodes disagree or name no registered cloud."""
    schemes: dict[str, str] = {}
    for name, cls in provider_classes().items():
        for scheme in getattr(cls, "provider_id_schemes", ()):
            schemes.setdefault(scheme, name)
    seen: set[str] = set()
    for node in cluster.nodes:
        pid = node.spec.provider_id or ""
        scheme = pid.split("://", 1)[0] if "://" in pid else ""
        if scheme in schemes:
            seen.add(schemes[scheme])
    return seen.pop() if len(seen) == 1 else None


def cloud_checklist_items(ctx: ChecklistContext) -> list[ChecklistItem]:
    """Checklist items the cluster's cloud plugin adds (``CloudProvider.checklist_items``):
    the cloud the facts came from (recorded facts keep their provider in each fact's
    provenance), else the one the nodes' providerID names."""
    facts = ctx.facts
    cloud: str | None = None
    if facts is not None and facts.provider != "recorded":
        cloud = facts.provider
    elif facts is not None:
        recorded = [
            *(x.provenance for x in (facts.cluster_identity, facts.network) if x is not None),
            *(p.provenance for p in facts.node_pools),
        ]
        cloud = next((p.provider for p in recorded if p.provider != "recorded"), None)
    cloud = cloud or detect_cloud(ctx.cluster)
    if cloud is None:
        return []
    try:
        cls = load_provider(cloud)
    except UnknownProviderError:
        return []
    hook = getattr(cls, "checklist_items", None)
    return list(hook(ctx)) if callable(hook) else []


def _missing_sdk(cls: Any) -> str | None:
    check = getattr(cls, "missing_sdk", None)
    return check() if callable(check) else None


def _options_for(name: str, cls: Any, options: dict[str, Any], *, explicit: bool) -> dict[str, Any]:
    """Drop (``--cloud auto``) or refuse (a named cloud) options another plugin declares."""
    own = {opt.dest for opt in getattr(cls, "cli_options", ())}
    foreign = {
        opt.dest: (opt.flag, owners) for opt, owners in cli_options() if opt.dest not in own and name not in owners
    }
    out = {}
    for key, value in options.items():
        if key in foreign:
            flag, owners = foreign[key]
            if explicit:
                raise BadInputError(f"{flag} is an option of {', '.join(owners)}, not of {name}")
            continue
        out[key] = value
    return out


def make_provider(
    cloud: str | Provider | None, cluster: ClusterState, **options: Any
) -> tuple[Provider | None, str | None]:
    """Turn ``--cloud`` into a provider instance.

    Returns:
        ``(provider, why_none)``: the provider, or ``None`` and the reason cloud facts will
        not be gathered (``--cloud none``, cloud not detected, plugin not installed).

    Raises:
        UnknownProviderError: an explicit name that no plugin provides, or whose SDK is missing.
        BadInputError: an option the provider does not take, or one it refuses.
    """
    if cloud is None or cloud == "none":
        return None, "cloud checks disabled (--cloud none)"
    if not isinstance(cloud, str):
        return cloud, None
    name = cloud
    detected_by_auto = False
    if name == "auto":
        if cluster.cloud_facts_path:
            name = "recorded"
        else:
            detected = detect_cloud(cluster)
            if detected is None:
                return None, "cloud not detected from node providerID (use --cloud)"
            name = detected
            detected_by_auto = True
    cls = load_provider(name)
    missing = _missing_sdk(cls)
    if missing is not None:
        hint = INSTALL_HINT.format(name=name)
        if detected_by_auto:
            return None, f"cloud {name} detected but its provider is not installed ({hint})"
        raise UnknownProviderError(f"provider {name!r} needs {missing}, which is not installed", remediation=hint)
    options = _options_for(name, cls, options, explicit=not detected_by_auto and name != "recorded")
    factory = getattr(cls, "for_cluster", None)
    try:
        provider = factory(cluster, **options) if factory is not None else cls(**options)
    except TypeError as exc:
        raise BadInputError(f"provider {name!r}: {exc}") from exc
    except (BadInputError, CloudUnreachableError) as exc:
        if not detected_by_auto:
            raise
        # --cloud auto: a cloud the user did not ask for must not fail the scan
        return None, f"cloud {name} detected but not usable: {exc}"
    return provider, None
