"""The deploy engine, unchanged, deploys to a host reached only over SSH (test-bed host2)."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from contextlib import closing

import docker
import pytest

from fleetflow.deploy import DeploySpec, DeployStatus, InMemoryHistory, deploy
from fleetflow.hosts.ssh import SshHost

pytestmark = [pytest.mark.ssh, pytest.mark.docker]


@pytest.fixture
def project(docker_hosts: dict[str, str]) -> Iterator[str]:
    name = f"ffsshdep-{uuid.uuid4().hex[:8]}"
    yield name
    subprocess.run(
        ["docker", "compose", "-p", name, "down", "-t", "0", "--remove-orphans"],
        env={"DOCKER_HOST": docker_hosts["host2"], "PATH": "/usr/local/bin:/usr/bin:/bin"},
        capture_output=True,
        check=False,
    )


async def test_deploy_engine_over_ssh(
    host: SshHost, project: str, testbed_image: str, docker_hosts: dict[str, str]
) -> None:
    compose = f"services:\n  app:\n    image: {testbed_image}\n    command: [sleep, '300']\n"
    files = {"compose.yaml": compose.encode()}
    spec = DeploySpec(stack=project, server="edge", commit="c1", files=files, auto_pull=False)
    result = await deploy(host, spec, InMemoryHistory())
    assert result.status is DeployStatus.GOOD
    assert [s.service for s in result.services] == ["app"]
    assert await host.read_file(f"{host.stacks_root}/{project}/compose.yaml") == compose.encode()
    with closing(docker.DockerClient(base_url=docker_hosts["host2"])) as direct:
        found = direct.containers.list(filters={"label": f"com.docker.compose.project={project}"})
    assert [c.id for c in found] == [result.services[0].container_id]
