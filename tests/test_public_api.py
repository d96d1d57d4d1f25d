"""The public API is pinned (like httpx's test_exported_members), and importing the
package stays cheap: no cloud SDK and no Kubernetes client until one is needed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import r2c_clouds

EXPORTED = [
    "BadInputError",
    "Chain",
    "ChecklistItem",
    "CloudFacts",
    "CloudUnreachableError",
    "ClusterState",
    "ClusterUnreachableError",
    "Evidence",
    "Finding",
    "Loop",
    "NotChecked",
    "ObjectRef",
    "R2CError",
    "Report",
    "Scope",
    "Severity",
    "SnapshotError",
    "Status",
    "UnreachableError",
    "__version__",
    "connect",
    "demo",
    "demos",
    "fleet",
    "load_snapshot",
    "mapping",
    "scan",
    "store",
]


def test_all_is_pinned_and_sorted() -> None:
    assert r2c_clouds.__all__ == EXPORTED
    assert r2c_clouds.__all__ == sorted(r2c_clouds.__all__)


def test_every_exported_name_resolves() -> None:
    for name in r2c_clouds.__all__:
        assert getattr(r2c_clouds, name) is not None, name


def test_public_objects_say_they_are_from_r2c_clouds() -> None:
    for name in r2c_clouds.__all__:
        obj = getattr(r2c_clouds, name)
        module = getattr(obj, "__module__", None) or getattr(obj, "__name__", "")
        if isinstance(obj, str):  # __version__
            continue
        assert module.startswith("r2c_clouds"), (name, module)


HEAVY = ("boto3", "botocore", "azure", "google", "kubernetes", "urllib3", "pandas")

PROBE = """
import sys
import r2c_clouds
r2c_clouds.mapping.lookup(loop="storage")   # the lazy attribute stays light too
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {heavy!r})
print(",".join(heavy))
"""


def test_import_does_not_load_sdks() -> None:
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=set(HEAVY))],
        capture_output=True, text=True, cwd=root, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""


def test_cli_module_import_does_not_load_sdks() -> None:
    root = Path(__file__).resolve().parents[1]
    probe = PROBE.replace("import r2c_clouds\n", "import r2c_clouds\nimport r2c_clouds.cli\nr2c_clouds.cli.build_parser()\n")
    proc = subprocess.run(
        [sys.executable, "-c", probe.format(heavy=set(HEAVY))],
        capture_output=True, text=True, cwd=root, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""
