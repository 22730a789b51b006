"""SSH hosts on the test-bed sshd (127.0.0.1); remote Docker is test-bed host2's socket."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from fleetflow.hosts.connect import SshOptions, connect
from fleetflow.hosts.ssh import SshHost

ROOT = Path(__file__).resolve().parents[2]
HOST2_DOCKER = f"unix://{ROOT}/.testbed/run/host2/docker.sock"
"""Test-bed host2's socket in this checkout (the sshd runs on this machine, so the path is the same)."""

MakeHost = Callable[..., SshHost]


@pytest.fixture
def ssh_address(ssh_target: dict[str, Any]) -> str:
    return f"ssh://{ssh_target['user']}@{ssh_target['host']}:{ssh_target['port']}"


@pytest.fixture
def ssh_options(ssh_target: dict[str, Any]) -> SshOptions:
    return SshOptions(key_path=Path(ssh_target["client_key"]), known_hosts=Path(ssh_target["known_hosts"]))


@pytest.fixture
def make_host(ssh_address: str, ssh_options: SshOptions, tmp_path: Path) -> Iterator[MakeHost]:
    """Builds SshHosts (closed after the test); ``docker_host`` defaults to test-bed host2."""
    made: list[SshHost] = []

    def make(options: SshOptions | None = None, *, docker_host: str = HOST2_DOCKER) -> SshHost:
        host = connect(
            "edge",
            ssh_address,
            stacks_root=tmp_path / "stacks",
            docker_host=docker_host,
            ssh_options=options or ssh_options,
        )
        assert isinstance(host, SshHost)
        made.append(host)
        return host

    yield make
    for host in made:
        asyncio.run(host.close())


@pytest.fixture
def host(make_host: MakeHost) -> SshHost:
    return make_host()
