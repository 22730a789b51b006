"""A Docker host reached only through SSH: SDK client over a forwarded socket, compose up/down remotely."""

from __future__ import annotations

import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import docker
import pytest

from fleetflow.errors import ComponentUnavailable, ConfigError
from fleetflow.hosts.ssh import SshHost

MakeHost = Callable[..., SshHost]

pytestmark = [pytest.mark.ssh, pytest.mark.docker]


@pytest.fixture
def project(docker_hosts: dict[str, str]) -> Iterator[str]:
    name = f"ffssh-{uuid.uuid4().hex[:8]}"
    yield name
    subprocess.run(
        ["docker", "compose", "-p", name, "down", "-t", "0", "--remove-orphans"],
        env={"DOCKER_HOST": docker_hosts["host2"], "PATH": "/usr/local/bin:/usr/bin:/bin"},
        capture_output=True,
        check=False,
    )


def host2_containers(url: str, project: str) -> dict[str, str]:
    """service -> state of the project's containers, read directly from host2's socket."""
    with closing(docker.DockerClient(base_url=url)) as client:
        found = client.containers.list(all=True, filters={"label": f"com.docker.compose.project={project}"})
        return {c.labels["com.docker.compose.service"]: c.status for c in found}


def test_docker_client_goes_through_ssh(host: SshHost, docker_hosts: dict[str, str]) -> None:
    with closing(docker.DockerClient(base_url=docker_hosts["host2"])) as direct:
        expected = direct.info()["ID"]
    before = set(Path(tempfile.gettempdir()).glob("ff-ssh-*"))
    with host.docker() as client:
        assert client.ping() is True
        assert client.info()["ID"] == expected
        assert set(Path(tempfile.gettempdir()).glob("ff-ssh-*")) - before != set()
    assert set(Path(tempfile.gettempdir()).glob("ff-ssh-*")) - before == set()


async def test_docker_client_from_the_event_loop_thread(host: SshHost, testbed_image: str) -> None:
    with host.docker() as client:
        assert testbed_image in [t for i in client.images.list() for t in i.tags]
    assert (await host.run(["true"], timeout=10)).ok


def test_unreachable_remote_engine_is_unavailable(make_host: MakeHost) -> None:
    host = make_host(docker_host="unix:///no/such/docker.sock")
    with (
        pytest.raises(
            ComponentUnavailable, match=r"Docker on edge \(unix:///no/such/docker.sock over ssh://"
        ),
        host.docker(),
    ):
        pass
    bad = make_host(docker_host="npipe:////./pipe/docker")
    with pytest.raises(ConfigError, match="must be unix:// or tcp://"), bad.docker():
        pass


async def test_compose_up_and_down_over_ssh(
    host: SshHost, project: str, testbed_image: str, docker_hosts: dict[str, str]
) -> None:
    stack_dir = f"{host.stacks_root}/{project}"
    compose = (
        f"services:\n  sleeper:\n    image: {testbed_image}\n    command: [sleep, '300']\n    init: true\n"
    )
    await host.put_files(stack_dir, {"compose.yaml": compose.encode()})
    lines: list[str] = []
    await host.compose(
        project, ["up", "-d", "--pull", "never"], cwd=stack_dir, timeout=60, on_line=lines.append
    )
    assert host2_containers(docker_hosts["host2"], project) == {"sleeper": "running"}
    assert any("Started" in line or "Running" in line for line in lines)
    with host.docker() as client:
        (remote,) = client.containers.list(filters={"label": f"com.docker.compose.project={project}"})
        assert remote.attrs["Config"]["Cmd"] == ["sleep", "300"]
    await host.compose(project, ["down", "-t", "0"], cwd=stack_dir, timeout=60)
    assert host2_containers(docker_hosts["host2"], project) == {}
