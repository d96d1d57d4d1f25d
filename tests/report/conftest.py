"""Fixtures for the renderer tests (sample data lives in report_samples.py)."""

from __future__ import annotations

import pytest
from factories import cluster, container, node, pod
from report_samples import build_report

import r2c_clouds
from r2c_clouds.report import Report


@pytest.fixture
def report() -> Report:
    return build_report()


@pytest.fixture
def scanned() -> Report:
    """A real scan (whatever rules are registered) of a small cluster with gaps."""
    state = cluster(
        [
            node("node-a"),
            pod("web-1", "shop", containers=[container(cpu=None, memory=None, mem_limit=None, readiness=False)],
                owner=("ReplicaSet", "web-5d8f9")),
            pod("api-1", "shop"),
        ],
        name="scan-me",
    )
    return r2c_clouds.scan(state, cloud="none")
