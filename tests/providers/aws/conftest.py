"""Fixtures of the AWS provider tests: moto's server on 127.0.0.1 and the emulated
account (see aws_world)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from aws_world import World, build


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto's server on 127.0.0.1 (a free port), AWS managed policies loaded."""
    from moto.server import ThreadedMotoServer

    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="session")
def world(moto_endpoint: str) -> World:
    """The emulated account, built once."""
    return build(moto_endpoint)


@pytest.fixture
def aws_env(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    """AWS_ENDPOINT_URL pointing at moto, as a user of the CLI would set it."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", world.endpoint)
    return world
