"""A new digest pushed under the running tag to the test-bed registry is detected (and cached per tag)."""

from __future__ import annotations

import io
import uuid
from contextlib import closing
from pathlib import Path

import docker
import httpx
import pytest

from fleetflow.health import RegistryClient, Target, UpdateStatus, check_updates, collect_facts
from fleetflow.hosts import LocalHost
from tests.health.conftest import RunService

pytestmark = [pytest.mark.registry, pytest.mark.docker]


def push(client: docker.DockerClient, repo: str, tag: str) -> None:
    for line in client.images.push(repo, tag, stream=True, decode=True):
        assert "error" not in line, line


async def test_new_digest_under_same_tag_is_an_update(
    docker_hosts: dict[str, str],
    testbed_image: str,
    registry: str,
    tmp_path: Path,
    run_service: RunService,
    project: str,
) -> None:
    repo = f"{registry}/ffh-{uuid.uuid4().hex[:8]}/x"
    with closing(docker.DockerClient(base_url=docker_hosts["host1"])) as client:
        client.images.get(testbed_image).tag(repo, "1")
        push(client, repo, "1")
    run_service("app", image=f"{repo}:1")
    run_service("local", image=testbed_image)  # no registry digest: unknown, never "update"
    host = LocalHost("host1", stacks_root=tmp_path, docker_host=docker_hosts["host1"])
    facts = await collect_facts(Target(host, stats=False))
    async with httpx.AsyncClient(timeout=10) as http:
        reg = RegistryClient(http)
        checks = {c.service: c for c in await check_updates(host, facts.containers, reg, projects=[project])}
        assert checks["app"].status is UpdateStatus.CURRENT
        assert checks["app"].running_digest.startswith("sha256:")
        assert checks["local"].status is UpdateStatus.UNKNOWN

        with closing(docker.DockerClient(base_url=docker_hosts["host1"])) as client:
            dockerfile = f"FROM {testbed_image}\nLABEL ffh.version=2\n".encode()
            client.images.build(fileobj=io.BytesIO(dockerfile), tag=f"{repo}:1", rm=True)
            push(client, repo, "1")
        cached = await check_updates(host, facts.containers, reg, projects=[project])
        assert [c.status for c in cached if c.service == "app"] == [UpdateStatus.CURRENT]  # 10 min cache
        fresh = await check_updates(host, facts.containers, RegistryClient(http), projects=[project])
    (app,) = [c for c in fresh if c.service == "app"]
    assert app.status is UpdateStatus.UPDATE_AVAILABLE
    assert app.registry_digest != app.running_digest
    with closing(docker.DockerClient(base_url=docker_hosts["host1"])) as client:
        for c in client.containers.list(all=True, filters={"label": f"com.docker.compose.project={project}"}):
            c.remove(force=True)
        client.images.remove(f"{repo}:1", force=True)
