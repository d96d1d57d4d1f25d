"""One shape for every cloud plugin, and a core that names no cloud.

The registry, the CLI and the checklist learn clouds from the plugins: their options,
their providerID schemes, their checklist items. A third-party plugin registered like the
built-ins gets the same treatment.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any, ClassVar

import pytest
from factories import cluster, node

import r2c_clouds
from r2c_clouds.cli import build_parser, main
from r2c_clouds.errors import BadInputError
from r2c_clouds.loops import (
    ComputeAnswer,
    IdentityAnswer,
    NetworkAnswer,
    StorageAnswer,
    StorageQuestions,
)
from r2c_clouds.providers import _registry, cli_options, detect_cloud, make_provider
from r2c_clouds.providers.kit import (
    LOOP_MODULES,
    CloudProvider,
    Forbidden,
    Option,
    Throttled,
    Workers,
    attempt,
)

PACKAGE = Path(r2c_clouds.__file__).parent
CLOUDS = ("aws", "azure", "gcp")


@pytest.mark.parametrize("cloud", CLOUDS)
def test_every_plugin_has_the_same_layout(cloud: str) -> None:
    folder = PACKAGE / "providers" / cloud
    for module in ("__init__", "_client", *LOOP_MODULES):
        assert (folder / f"{module}.py").is_file(), f"{cloud}/{module}.py"
    for loop in LOOP_MODULES:
        mod = importlib.import_module(f"r2c_clouds.providers.{cloud}.{loop}")
        public = [n for n in getattr(mod, "__all__", []) if callable(getattr(mod, n)) and n.islower()]
        assert "answer" in public, f"{cloud}.{loop} has no answer(provider, questions)"
        params = list(mod.answer.__code__.co_varnames[: mod.answer.__code__.co_argcount])
        assert params == ["provider", "questions"], f"{cloud}.{loop}.answer{tuple(params)}"
    cls = _registry.load_provider(cloud)
    assert issubclass(cls, CloudProvider)
    assert cls.name == cloud and cls.provider_id_schemes and cls.requires and cls.cli_options


def test_loading_a_plugin_imports_no_sdk() -> None:
    code = (
        "import sys\n"
        "from r2c_clouds.providers import provider_classes, cli_options\n"
        "provider_classes(); cli_options()\n"
        "sdks = [m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore', 'grpc') "
        "or m.startswith(('azure.core', 'google.cloud', 'google.api_core'))]\n"
        "print(sdks); sys.exit(1 if sdks else 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_core_modules_name_no_cloud() -> None:
    core = ["cli.py", "checklist.py", "_scan.py", "providers/_registry.py", "providers/_gather.py", "providers/kit.py"]
    for rel in core:
        tree = ast.parse((PACKAGE / rel).read_text())
        named = {
            n.value for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value.lower() in CLOUDS
        }
        assert not named, f"{rel} names {sorted(named)}"


def test_cli_options_come_from_the_plugins() -> None:
    flags = {opt.flag: owners for opt, owners in cli_options()}
    assert flags["--region"] == ("aws",)
    assert flags["--subscription"] == ("azure",)
    assert flags["--project"] == ("gcp",)
    assert flags["--cluster-name"] == ("aws", "azure", "gcp")
    help_text = build_parser()._subparsers._group_actions[0].choices["scan"].format_help()  # type: ignore[union-attr]
    for flag in ("--region", "--subscription", "--gcp-endpoint", "--cluster-name"):
        assert flag in help_text
    assert "aws|azure|gcp|recorded" in help_text


def test_an_option_of_another_cloud_is_refused_for_a_named_cloud(capsys: pytest.CaptureFixture[str]) -> None:
    c = cluster([node("n1")])
    with pytest.raises(BadInputError, match="--subscription is an option of azure, not of aws"):
        make_provider("aws", c, subscription="0000", cluster_name="blue", region="us-east-1")
    code = main(["scan", "--demo", "domino", "--cloud", "aws", "--subscription", "0000"])
    assert code == 2
    assert "--subscription is an option of azure, not of aws" in capsys.readouterr().err


# --------------------------------------------------------------------------- a third-party plugin


class AcmeProvider(CloudProvider):
    """A plugin outside the package, registered through the entry point group."""

    name: ClassVar[str] = "acme"
    provider_id_schemes: ClassVar[tuple[str, ...]] = ("acme",)
    cli_options: ClassVar[tuple[Option, ...]] = (Option("--acme-zone", "Acme zone", metavar="Z"),)
    requires: ClassVar[tuple[str, ...]] = ("json",)

    def __init__(self, acme_zone: str | None = None, **_: Any) -> None:
        super().__init__(max_workers=2)
        self.acme_zone = acme_zone


@pytest.fixture
def acme(monkeypatch: pytest.MonkeyPatch) -> None:
    real = _registry.entry_points

    def eps(*, group: str) -> list[EntryPoint]:
        found = list(real(group=group))
        if group == _registry.GROUP:
            found.append(EntryPoint("acme", f"{__name__}:AcmeProvider", group))
        return found

    monkeypatch.setattr(_registry, "entry_points", eps)
    _registry.load_provider.cache_clear()
    _registry._registered.cache_clear()
    yield
    _registry.load_provider.cache_clear()
    _registry._registered.cache_clear()


@pytest.mark.usefixtures("acme")
def test_a_third_party_plugin_is_detected_and_offered_like_the_builtins() -> None:
    c = cluster([node("n1", provider_id="acme://zone-9/vm-1")])
    assert detect_cloud(c) == "acme"
    assert "--acme-zone" in {o.flag for o, _ in cli_options()}
    provider, why = make_provider("auto", c, acme_zone="z9")
    assert why is None and isinstance(provider, AcmeProvider) and provider.acme_zone == "z9"
    # its loops are dispatched to its package's loop modules: this test module has none
    with pytest.raises(ModuleNotFoundError, match=r"test_plugin_shape\.storage"):
        provider.storage(StorageQuestions())


# --------------------------------------------------------------------------- the kit


def test_attempt_turns_forbidden_and_throttled_into_not_checked() -> None:
    out: list[Any] = []

    def forbidden() -> int:
        raise Forbidden("compute.disks.list")

    def throttled() -> int:
        raise Throttled("monitoring.timeSeries.list")

    assert attempt("disks", out, forbidden) is None
    assert attempt("egress_gateways", out, throttled) is None
    assert attempt("nodes", out, lambda: 3) == 3
    assert [(n.what, n.reason) for n in out] == [
        ("disks", "forbidden: compute.disks.list"),
        ("egress_gateways", "throttled: monitoring.timeSeries.list (still rate-limited after retries)"),
    ]


def test_workers_bound_the_threads_and_nest_without_deadlock() -> None:
    import threading

    workers = Workers(max_workers=2, name="r2c-test")
    seen: set[str] = set()
    lock = threading.Lock()

    def leaf(x: int) -> int:
        with lock:
            seen.add(threading.current_thread().name)
        return x * 2

    def branch(x: int) -> list[int]:
        return workers.map(leaf, range(x, x + 5))  # a map inside a map runs inline

    assert workers.map(branch, [0, 10, 20, 30]) == [[2 * i for i in range(s, s + 5)] for s in (0, 10, 20, 30)]
    assert len(seen) <= 2 and all(n.startswith("r2c-test") for n in seen)
    calls: list[int] = []
    assert [workers.once("k", lambda: calls.append(1) or 7) for _ in range(3)] == [7, 7, 7]
    assert calls == [1]
    workers.close()


def test_loop_answers_are_the_protocol_types() -> None:
    for loop, answer in zip(LOOP_MODULES, (IdentityAnswer, ComputeAnswer, NetworkAnswer, StorageAnswer), strict=True):
        for cloud in CLOUDS:
            mod = importlib.import_module(f"r2c_clouds.providers.{cloud}.{loop}")
            assert mod.answer.__annotations__["return"] in (answer.__name__, answer), (cloud, loop)
