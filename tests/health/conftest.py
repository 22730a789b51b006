"""Labelled "compose" containers on the test-bed daemons, removed after each test."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, suppress

import docker
import pytest

from tests.orchestration.conftest import ff_home, remote  # noqa: F401 (fixtures for the flow test)

RunService = Callable[..., str]


@pytest.fixture
def project() -> str:
    return f"ffh-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def run_service(docker_hosts: dict[str, str], testbed_image: str, project: str) -> Iterator[RunService]:
    """Start a sleeping container labelled as ``project``'s ``service`` on a host; return its id."""
    started: list[tuple[str, str]] = []

    def run(
        service: str,
        *,
        host: str = "host1",
        fingerprint: str = "fp1",
        image: str = "",
        project_name: str = "",
    ) -> str:
        labels = {
            "com.docker.compose.project": project_name or project,
            "com.docker.compose.service": service,
            "fleetflow.fingerprint": fingerprint,
        }
        with closing(docker.DockerClient(base_url=docker_hosts[host])) as client:
            c = client.containers.run(
                image or testbed_image,
                ["sleep", "600"],
                detach=True,
                labels=labels,
                name=f"{project_name or project}-{service}-1",
            )
        started.append((host, c.id))
        return str(c.id)

    yield run
    for host, cid in started:
        with (
            closing(docker.DockerClient(base_url=docker_hosts[host])) as client,
            suppress(docker.errors.NotFound),
        ):
            client.containers.get(cid).remove(force=True)
