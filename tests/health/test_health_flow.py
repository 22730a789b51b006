"""health-check end to end: real git, daemons, registry, embedded store, Prefect test harness.

Kill a container -> drift reported, then healed; an unreachable host alerts once and resolves when back;
a low disk_warning alerts once; a new digest under the running tag -> only that service is recreated.
"""

from __future__ import annotations

import asyncio
import io
import os
import uuid
from contextlib import closing, suppress
from pathlib import Path

import docker
import pytest

from fleetflow.runtime import context
from flows.health_check import health_check
from flows.sync_resources import sync_resources
from tests.support.fleet import container_ids, remove_projects
from tests.support.gitrepo import GitRemote

pytestmark = [pytest.mark.docker, pytest.mark.registry, pytest.mark.prefect]

SLEEP = "[sh, -c, \"trap 'exit 0' TERM; sleep 600 & wait\"]"


@pytest.fixture
def stack() -> str:
    return f"hc{uuid.uuid4().hex[:8]}"


def files(stack: str, h1: str, dark_sock: Path, app_image: str, side_image: str) -> dict[str, str]:
    servers = (
        f'[[server]]\nname = "h1"\n[server.config]\naddress = "{h1}"\ndisk_warning = 1\n\n'
        f'[[server]]\nname = "dark"\n[server.config]\naddress = "unix://{dark_sock}"\n'
    )
    stacks = (
        f'[[stack]]\nname = "{stack}"\ndeploy = true\n[stack.config]\nserver = "h1"\nrun_directory = "s"\n'
    )
    compose = (
        f"services:\n  app:\n    image: {app_image}\n    command: {SLEEP}\n"
        f"  side:\n    image: {side_image}\n    command: {SLEEP}\n"
    )
    return {"syncs/servers.toml": servers, "syncs/stacks.toml": stacks, "s/compose.yaml": compose}


def push(client: docker.DockerClient, repo: str) -> None:
    for line in client.images.push(repo, "1", stream=True, decode=True):
        assert "error" not in line, line


def kinds(result: dict[str, object], kind: str) -> list[str]:
    return [str(e["key"]) for e in result["alerts"] if e["kind"] == kind]  # type: ignore[attr-defined, index]


def test_health_round_drift_heal_alerts_and_updates(
    prefect_harness: None,
    ff_home: Path,
    remote: GitRemote,
    docker_hosts: dict[str, str],
    testbed_image: str,
    registry: str,
    stack: str,
    tmp_path: Path,
) -> None:
    h1, dark = docker_hosts["host1"], tmp_path / "dark.sock"
    repo = f"{registry}/{stack}/app"
    client = docker.DockerClient(base_url=h1)
    try:
        client.images.get(testbed_image).tag(repo, "1")
        push(client, repo)
        remote.commit("fleet", files(stack, h1, dark, f"{repo}:1", testbed_image))
        synced = asyncio.run(sync_resources(repo=remote.url, resource_paths=["syncs"]))
        assert synced["stacks"][stack]["status"] == "good"

        first = asyncio.run(health_check())
        rows = {r["host"]: r for r in first["hosts"]}
        assert rows["h1"]["reachable"] is True
        assert rows["dark"]["reachable"] is False
        assert rows["dark"]["reason"]
        assert first["unreachable"] == ["dark"]
        opened = kinds(first, "opened")
        assert "health:dark:unreachable" in opened
        assert any(k.startswith("health:h1:disk:") for k in opened)
        assert [d for d in first["drift"] if d["stack"] == stack] == []
        assert context.store().latest_health("h1") is not None

        again = asyncio.run(health_check())
        assert kinds(again, "opened") == []  # still open: not repeated

        app_id = container_ids(h1, stack)["app"]
        client.containers.get(app_id).kill()
        drifted = asyncio.run(health_check(servers=["h1"]))
        assert [(d["kind"], d["service"]) for d in drifted["drift"] if d["stack"] == stack] == [
            ("stopped_service", "app")
        ]
        assert f"health:h1:stack:{stack}" in kinds(drifted, "opened")
        healed = asyncio.run(health_check(servers=["h1"], heal=True, repo=remote.url))
        assert healed["healed"] == {stack: "good"}
        assert client.containers.get(container_ids(h1, stack)["app"]).status == "running"
        after_heal = asyncio.run(health_check(servers=["h1"]))
        assert f"health:h1:stack:{stack}" in kinds(after_heal, "resolved")

        # the dark host comes back (its socket now leads to a real daemon): the alert resolves once
        os.symlink(docker_hosts["host3"].removeprefix("unix://"), dark)
        back = asyncio.run(health_check())
        assert "health:dark:unreachable" in kinds(back, "resolved")
        assert "health:dark:unreachable" not in kinds(asyncio.run(health_check()), "resolved")

        # a new digest under the running tag: detected, and only that service is recreated
        before = container_ids(h1, stack)
        built = f"FROM {testbed_image}\nLABEL hc.version=2\n".encode()
        client.images.build(fileobj=io.BytesIO(built), tag=f"{repo}:1", rm=True)
        push(client, repo)
        client.images.remove(f"{repo}:1", force=True)  # the host keeps running the old one
        from tasks.health import REGISTRY_CACHE

        REGISTRY_CACHE.clear()
        updated = asyncio.run(health_check(servers=["h1"], heal=True, repo=remote.url))
        assert [(u["service"], u["status"]) for u in updated["updates"]] == [("app", "update_available")]
        assert updated["healed"] == {stack: "good"}
        now = container_ids(h1, stack)
        assert now["side"] == before["side"]
        assert now["app"] != before["app"]
    finally:
        remove_projects(h1, [stack])
        with closing(client), suppress(docker.errors.ImageNotFound):
            client.images.remove(f"{repo}:1", force=True)
