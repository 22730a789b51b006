"""``fleetflow serve`` on one box, started exactly as README shows (no PREFECT_API_URL, no other server).

It starts its own Prefect server, polls on its schedule, deploys on a signed
push, and every API action works under it. Containers are checked on a
test-bed Docker daemon.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import httpx
import pytest

from tests.support.fleet import compose, container_ids, fleet_files, remove_projects
from tests.support.gitrepo import GitRemote
from tests.support.serve import ServeProcess, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.docker]

# Komodo's layout: the sync links a [[repo]] fleetflow does not manage; serve knows its repository.
RESOURCE_SYNC = '[[resource_sync]]\nname = "homelab"\n[resource_sync.config]\nlinked_repo = "homelab"\n'
STACKS = {"newt": "h1", "otter": "h1"}


def containers(url: str, project: str) -> list[dict[str, Any]]:
    """The compose project's containers on one daemon: id, status, command, start time."""
    client = docker.DockerClient(base_url=url)
    try:
        found = client.containers.list(all=True, filters={"label": f"com.docker.compose.project={project}"})
        return [
            {
                "id": c.id,
                "status": c.status,
                "command": " ".join(c.attrs["Config"].get("Cmd") or []),
                "started": c.attrs["State"]["StartedAt"],
            }
            for c in found
        ]
    finally:
        client.close()


def running(url: str, project: str, command: str | None = None) -> dict[str, Any] | None:
    found = containers(url, project)
    if (
        len(found) == 1
        and found[0]["status"] == "running"
        and (command is None or command in found[0]["command"])
    ):
        return found[0]
    return None


@pytest.fixture(scope="module")
def box(
    tmp_path_factory: pytest.TempPathFactory, docker_hosts: dict[str, str], testbed_image: str
) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("one-box")
    host = docker_hosts["host1"]
    remove_projects(host, list(STACKS))
    remote = GitRemote.create(root / "git")
    files = fleet_files({"h1": host}, testbed_image, stacks=STACKS)
    remote.commit("homelab", {**files, "syncs/resourcesync.toml": RESOURCE_SYNC})
    serve = ServeProcess(repo=remote.url, home=root / "home").start()
    try:
        serve.wait_serving()
        yield {"serve": serve, "remote": remote, "host": host, "image": testbed_image, "root": root}
    finally:
        serve.stop()
        remove_projects(host, list(STACKS))


def pause_polls(serve: ServeProcess) -> None:
    """Pause the poll schedule through the Prefect API and drop runs it already scheduled."""
    api = serve.prefect_api
    by_name = f"{api}/deployments/name/poll-repo/{serve.sync}"
    deployment = wait_for("poll-repo deployment", lambda: httpx.get(by_name, timeout=10).json(), 120, serve)
    url = f"{api}/deployments/{deployment['id']}"
    # SQLite may answer "busy" (503) under load: retry until the pause is stored.
    wait_for("poll schedule paused", lambda: httpx.patch(url, json={"paused": True}, timeout=10).is_success
             and httpx.get(url, timeout=10).json()["paused"], 120, serve)  # fmt: skip

    def quiet() -> bool:
        answer = httpx.post(
            f"{api}/flow_runs/filter",
            json={"deployments": {"id": {"any_": [deployment["id"]]}}, "limit": 200},
            timeout=10,
        )
        if not answer.is_success:
            return False
        runs = answer.json()
        open_runs = [
            r for r in runs if r["state"]["type"] not in {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}
        ]
        for run in open_runs:
            if run["state"]["type"] == "SCHEDULED":
                httpx.delete(f"{api}/flow_runs/{run['id']}", timeout=10)
        return not open_runs

    wait_for("no open poll-repo runs after pausing its schedule", quiet, 180, serve)


def test_scheduled_poll_then_push_deploy(box: dict[str, Any]) -> None:
    serve: ServeProcess = box["serve"]
    host = box["host"]
    # 1. No push yet: only serve's own schedule can deploy the stacks.
    first = wait_for("newt running (scheduled poll)", lambda: running(host, "newt"), 300, serve)
    assert "sleep 3600" in first["command"]
    # 2. Schedule paused: only the push can deploy the change.
    pause_polls(serve)
    commit = box["remote"].commit(
        "newt: new command", {"stacks/newt/compose.yaml": compose("sleep 1234", box["image"])}
    )
    answer = serve.push(commit)
    assert answer.status_code == 202, answer.text
    pushed = wait_for(
        "newt running the pushed command", lambda: running(host, "newt", "sleep 1234"), 300, serve
    )
    assert pushed["id"] != first["id"]
    assert running(host, "otter") is not None  # a push touching only newt leaves otter alone


def fleetflow(serve: ServeProcess, *args: str) -> str:
    argv = [str(Path(sys.executable).parent / "fleetflow"), *args]
    done = subprocess.run(argv, env=serve.base_env(), capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


def test_every_api_action_under_serve(box: dict[str, Any]) -> None:
    serve: ServeProcess = box["serve"]
    host = box["host"]
    token = fleetflow(serve, "token", "create", "--role", "admin", "--name", "e2e").strip().splitlines()[-1]
    api = httpx.Client(base_url=serve.url, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    wait_for("otter applied and running", lambda: api.get("/api/stack/otter").status_code == 200
             and running(host, "otter"), 300, serve)  # fmt: skip

    def act(path: str) -> None:
        answer = api.post(path)
        assert answer.status_code == 200, f"{path}: {answer.status_code} {answer.text}"
        kind, message = serve.wait_run(answer.json()["flow_run_id"])
        assert kind == "COMPLETED", f"{path}: {kind} {message}\n{serve.tail()}"

    def deploys() -> int:
        return len(api.get("/api/stack/otter", params={"limit": 100}).json()["deploys"])

    before = running(host, "otter")
    assert before is not None
    act("/api/stack/otter/stop")
    assert [c["status"] for c in containers(host, "otter")] == ["exited"]
    act("/api/stack/otter/start")
    started = running(host, "otter")
    assert started is not None
    assert started["id"] == before["id"]
    act("/api/stack/otter/restart")
    restarted = running(host, "otter")
    assert restarted is not None
    assert restarted["started"] != started["started"]
    act("/api/stack/otter/pull")
    assert running(host, "otter") is not None
    count = deploys()
    act("/api/stack/otter/deploy")
    act("/api/stack/otter/deploy?force=true")
    assert deploys() > count
    assert running(host, "otter") is not None
    act("/api/sync/homelab/run")
    plan = api.post("/api/sync/homelab/run", params={"dry_run": "true"})
    assert plan.status_code == 200, plan.text
    assert {row["name"] for row in plan.json()["plan"]} >= {"newt", "otter", "h1"}
    act("/api/stack/otter/destroy")
    assert containers(host, "otter") == []
    assert container_ids(host, "newt")  # the other stack is untouched
