"""Developer sessions: ``nox`` runs tests, lint and typecheck; ``nox -s docs`` and
``nox -s bench`` are opt-in.

Python versions and extras come from ``pyproject.toml``. Virtual environments use the
standard library's ``venv`` (uv is not assumed), and interpreters that are not installed
are skipped rather than downloaded.
"""

from __future__ import annotations

import re
from pathlib import Path

import nox
import nox.project

ROOT = Path(__file__).parent
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
#: Every Python from ``requires-python`` up to the newest one we test.
PYTHONS = nox.project.python_versions(PYPROJECT, max_version="3.13")
#: Code that must stay ruff-clean.
LINT_PATHS = ["r2c_clouds", "tests", "benchmarks", "docs/gen_rules.py", "noxfile.py"]
#: Our own scripts that mypy --strict checks besides the package (configured in pyproject).
TYPED_SCRIPTS = ["noxfile.py", "docs/gen_rules.py", "benchmarks"]

nox.options.default_venv_backend = "venv"
nox.options.reuse_venv = "yes"
nox.options.error_on_missing_interpreters = False
nox.options.download_python = "never"
nox.options.sessions = ["tests", "lint", "typecheck"]


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Run the test suite (pass pytest options after ``--``)."""
    session.install("-e", ".[test]")
    args = session.posargs or ["-n", "2"]
    session.run("python", "-m", "pytest", *args)


@nox.session(default=False)
def minimums(session: nox.Session) -> None:
    """Run the tests against the lowest versions the runtime dependencies allow."""
    constraints = session.create_tmp() + "/minimums.txt"
    Path(constraints).write_text("\n".join(_lowest_pins()) + "\n", encoding="utf-8")
    session.install("-e", ".[test]", "-c", constraints)
    session.run("python", "-m", "pip", "list", silent=False)
    session.run("python", "-m", "pytest", "-n", "2", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff over the package, tests, benchmarks and tooling."""
    session.install(*(dep for dep in PYPROJECT["project"]["optional-dependencies"]["lint"] if dep.startswith("ruff")))
    session.run("ruff", "check", *LINT_PATHS, *session.posargs)
    session.install(*(dep for dep in PYPROJECT["project"]["optional-dependencies"]["lint"] if dep.startswith("import-linter")))
    session.install("-e", ".")
    session.run("lint-imports", "--no-cache")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the package (pyproject config) and our scripts."""
    session.install("-e", ".[lint,test]")
    session.run("mypy")
    session.run("mypy", "--strict", *TYPED_SCRIPTS)


@nox.session(default=False)
def docs(session: nox.Session) -> None:
    """Regenerate docs/rules.md from the rule registry and build the site strictly."""
    session.install("-e", ".[docs]")
    session.run("python", "docs/gen_rules.py")
    session.run("mkdocs", "build", "--strict", *session.posargs, env={"NO_MKDOCS_2_WARNING": "1"})


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """The scale benchmark (``nox -s bench -- --nodes 1000 5000``)."""
    session.install("-e", ".[bench]")
    session.run("python", "benchmarks/run.py", *(session.posargs or ["--nodes", "1000"]))


def _lowest_pins() -> list[str]:
    """``name==X.*`` for every ``name>=X`` runtime dependency in pyproject: the oldest
    release line allowed (``kubernetes>=30`` → ``30.*``, as no ``30.0.0`` exists)."""
    pins = []
    for dep in PYPROJECT["project"]["dependencies"]:
        match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*>=\s*([0-9][^,;\s]*)\s*", dep)
        if match:
            pins.append(f"{match.group(1)}=={match.group(2)}.*")
    return pins
