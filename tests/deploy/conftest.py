"""A LocalHost on test-bed host1 with its own stacks dir, and a spec builder; projects cleaned up."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import docker
import pytest

from fleetflow.deploy import DeploySpec, InMemoryHistory
from fleetflow.hosts import LocalHost

SLEEPER = "[sh, -c, \"trap 'exit 0' TERM; sleep 600 & wait\"]"

SpecFactory = Callable[..., DeploySpec]


def compose_yaml(image: str, services: dict[str, str]) -> bytes:
    """A compose file; ``services`` maps a name to extra YAML lines (indented 4) after image+command."""
    out = ["services:"]
    for name, extra in services.items():
        out += [f"  {name}:", f"    image: {image}", "    init: false"]
        if "command:" not in extra:
            out.append(f"    command: {SLEEPER}")
        out += [f"    {line}" for line in extra.splitlines() if line.strip()]
    return ("\n".join(out) + "\n").encode()


@pytest.fixture
def project() -> str:
    return f"ffd-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def host(docker_hosts: dict[str, str], tmp_path: Path, project: str) -> Iterator[LocalHost]:
    url = docker_hosts["host1"]
    yield LocalHost("host1", stacks_root=tmp_path / "stacks", docker_host=url)
    with closing(docker.DockerClient(base_url=url)) as client:
        names = {
            c.labels.get("com.docker.compose.project", "")
            for c in client.containers.list(all=True, filters={"label": "com.docker.compose.project"})
        }
    for name in sorted(n for n in names if n.startswith(project)):
        subprocess.run(
            ["docker", "compose", "-p", name, "down", "-t", "0", "-v", "--remove-orphans"],
            env={"DOCKER_HOST": url, "PATH": "/usr/local/bin:/usr/bin:/bin"},
            capture_output=True,
            check=False,
        )


@pytest.fixture
def history() -> InMemoryHistory:
    return InMemoryHistory()


@pytest.fixture
def make_spec(project: str) -> SpecFactory:
    def make(files: dict[str, bytes], commit: str = "c1", **kw: Any) -> DeploySpec:
        fields: dict[str, Any] = {
            "stack": project,
            "server": "host1",
            "commit": commit,
            "files": files,
            "timeout_s": 30,
            "settle_s": 0.3,
        }
        return DeploySpec(**(fields | kw))

    return make


def container_ids(host: LocalHost, project: str) -> dict[str, str]:
    """service -> container id of the project's running containers."""
    with host.docker() as client:
        found = client.containers.list(filters={"label": f"com.docker.compose.project={project}"})
        return {c.labels["com.docker.compose.service"]: c.id for c in found}


def container_env(host: LocalHost, project: str, service: str) -> dict[str, str]:
    with host.docker() as client:
        (c,) = client.containers.list(
            filters={
                "label": [f"com.docker.compose.project={project}", f"com.docker.compose.service={service}"]
            }
        )
        return dict(e.split("=", 1) for e in c.attrs["Config"]["Env"])
