"""``webhook_force_deploy`` through ``fleetflow serve``'s real push webhook, on a test-bed daemon.

As CI does before it calls the webhook, a newer image is pushed to the test-bed registry
under the tag every stack runs; no stack file changes. A scheduled poll (even one syncing
a new commit) deploys nothing. A burst of signed pushes deploys the stack with
``webhook_force_deploy = true`` once per coalesced trigger (its container recreated from
the newer image, reason ``webhook_force_deploy``) and leaves the stack without it and the
one with ``webhook_enabled = false`` running as they were.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import closing, suppress
from datetime import datetime
from pathlib import Path
from typing import Any

import docker
import httpx
import pytest

from tests.e2e.test_serve_one_box import pause_polls
from tests.support.fleet import remove_projects
from tests.support.gitrepo import GitRemote
from tests.support.serve import SECRET, ServeProcess, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.docker, pytest.mark.registry]

RESOURCE_SYNC = '[[resource_sync]]\nname = "homelab"\n[resource_sync.config]\nlinked_repo = "homelab"\n'
# poll_for_updates = false: the health round must not redeploy the newer image on its own
STACKS = {
    "forced": "webhook_force_deploy = true",
    "plain": "",
    "disabled": "webhook_force_deploy = true\nwebhook_enabled = false",
}


def _files(host: str, image: str) -> dict[str, str]:
    files = {
        "syncs/servers.toml": f'[[server]]\nname = "h1"\n[server.config]\naddress = "{host}"\n',
        "syncs/resourcesync.toml": RESOURCE_SYNC,
    }
    entries = []
    for name, extra in STACKS.items():
        entries.append(
            f'[[stack]]\nname = "{name}"\n[stack.config]\nserver = "h1"\nrun_directory = "stacks/{name}"\n'
            f"poll_for_updates = false\n{extra}\n"
        )
        files[f"stacks/{name}/compose.yaml"] = (
            f"services:\n  app:\n    image: {image}\n    command: sleep 3600\n    init: true\n"
        )
    files["syncs/stacks.toml"] = "\n".join(entries)
    return files


def _push_image(url: str, repo: str, base: str, version: int) -> str:
    """Build ``repo:1`` (``base`` + a version label) on the daemon at ``url``, push it; its image id."""
    with closing(docker.DockerClient(base_url=url)) as client:
        dockerfile = f"FROM {base}\nLABEL ffw.version={version}\n".encode()
        image, _ = client.images.build(fileobj=io.BytesIO(dockerfile), tag=f"{repo}:1", rm=True)
        for line in client.images.push(repo, "1", stream=True, decode=True):
            assert "error" not in line, line
        return str(image.id)


def _app(url: str, project: str) -> dict[str, str] | None:
    """The running ``app`` container of ``project``: id, image id and start time."""
    with closing(docker.DockerClient(base_url=url)) as client:
        found = client.containers.list(filters={"label": f"com.docker.compose.project={project}"})
        if len(found) != 1 or found[0].status != "running":
            return None
        c = found[0]
        return {"id": str(c.id), "image": str(c.attrs["Image"]), "started": c.attrs["State"]["StartedAt"]}


def _signed_push(serve: ServeProcess, commit: str, delivery: str) -> httpx.Response:
    body = json.dumps({"ref": "refs/heads/main", "after": commit, "repository": {"full_name": "o/r"}})
    digest = hmac.new(SECRET.encode(), body.encode(), hashlib.sha256).hexdigest()
    headers = {
        "X-GitHub-Event": "push",
        "X-Hub-Signature-256": f"sha256={digest}",
        "X-GitHub-Delivery": delivery,
        "Content-Type": "application/json",
    }
    return httpx.post(f"{serve.url}/webhook/github/{serve.sync}", content=body, headers=headers, timeout=30)


def _poll_runs(serve: ServeProcess, *, webhook: bool) -> list[dict[str, Any]]:
    """Completed ``poll-repo`` runs, started by a push (tag ``webhook``) or by the schedule."""
    api = serve.prefect_api
    deployment = httpx.get(f"{api}/deployments/name/poll-repo/{serve.sync}", timeout=10).json()
    answer = httpx.post(
        f"{api}/flow_runs/filter",
        json={
            "deployments": {"id": {"any_": [deployment["id"]]}},
            "flow_runs": {"state": {"type": {"any_": ["COMPLETED"]}}},
            "limit": 200,
        },
        timeout=10,
    )
    answer.raise_for_status()
    return [r for r in answer.json() if ("webhook" in r["tags"]) is webhook]


@pytest.fixture(scope="module")
def box(
    tmp_path_factory: pytest.TempPathFactory, docker_hosts: dict[str, str], testbed_image: str, registry: str
) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("webhook-force")
    host = docker_hosts["host1"]
    repo = f"{registry}/ffw-{uuid.uuid4().hex[:8]}/app"
    old = _push_image(host, repo, testbed_image, 1)
    remove_projects(host, list(STACKS))
    remote = GitRemote.create(root / "git")
    remote.commit("homelab", _files(host, f"{repo}:1"))
    serve = ServeProcess(repo=remote.url, home=root / "home").start()
    try:
        serve.wait_serving()
        yield {
            "serve": serve,
            "remote": remote,
            "host": host,
            "repo": repo,
            "old": old,
            "base": testbed_image,
        }
    finally:
        serve.stop()
        remove_projects(host, list(STACKS))
        for url in (host, docker_hosts["host2"]):
            with closing(docker.DockerClient(base_url=url)) as client, suppress(docker.errors.ImageNotFound):
                client.images.remove(f"{repo}:1", force=True)


def _token(serve: ServeProcess) -> str:
    fleetflow = str(Path(sys.executable).parent / "fleetflow")
    argv = [fleetflow, "token", "create", "--role", "viewer", "--name", "wf"]
    done = subprocess.run(argv, env=serve.base_env(), capture_output=True, text=True, timeout=120, check=True)
    return done.stdout.strip().splitlines()[-1]


def test_a_push_force_deploys_only_webhook_force_deploy_stacks(
    box: dict[str, Any], docker_hosts: dict[str, str]
) -> None:
    serve: ServeProcess = box["serve"]
    host, remote = box["host"], box["remote"]
    api = httpx.Client(base_url=serve.url, headers={"Authorization": f"Bearer {_token(serve)}"}, timeout=30)

    def forced_deploys() -> int:
        deploys = api.get("/api/stack/forced", params={"limit": 100}).json()["deploys"]
        return sum(d["summary"] == "webhook_force_deploy" for d in deploys)

    # 1. The schedule deploys all three (first deploys).
    before = {n: wait_for(f"{n} running", lambda n=n: _app(host, n), 300, serve) for n in STACKS}
    assert {b["image"] for b in before.values()} == {box["old"]}

    # 2. A newer image under the same tag (built and pushed from another daemon, so host1 has to pull
    #    it), and a README-only commit: a scheduled poll syncs that commit and forces nothing.
    new = _push_image(docker_hosts["host2"], box["repo"], box["base"], 2)
    assert new != box["old"]
    committed = time.time()
    remote.commit("readme only", {"README.md": "nothing to deploy\n"})

    def scheduled_after_commit() -> bool:
        runs = _poll_runs(serve, webhook=False)
        return any(r["start_time"] and _epoch(r["start_time"]) > committed for r in runs)

    wait_for("a scheduled poll after the README commit", scheduled_after_commit, 180, serve)
    assert {n: _app(host, n) for n in STACKS} == before
    assert forced_deploys() == 0

    # 3. Schedule paused (only pushes poll now). A burst of signed pushes for a new README commit:
    #    coalesced, the forced stack redeploys.
    pause_polls(serve)
    commit = remote.commit("readme again", {"README.md": "still nothing to deploy\n"})
    deliveries = [f"wf-{uuid.uuid4().hex[:12]}" for _ in range(3)]
    _push_and_wait(serve, api, commit, deliveries)
    after = {n: _app(host, n) for n in STACKS}
    recreated = after["forced"]
    assert recreated is not None
    assert recreated["id"] != before["forced"]["id"]
    assert recreated["started"] != before["forced"]["started"]
    assert recreated["image"] == new
    assert after["plain"] == before["plain"]  # unchanged, not forced
    assert after["disabled"] == before["disabled"]  # webhook_enabled = false

    # Coalescing kept: one forced deploy per poll the pushes started (3 pushes, usually 1 poll).
    triggered = {
        r["id"]
        for r in _poll_runs(serve, webhook=True)
        if any(f"delivery:{d}" in r["tags"] for d in deliveries)
    }
    assert triggered
    assert forced_deploys() == len(triggered)

    # 4. A push that moves nothing (same commit again): the forced stack still redeploys, alone.
    again = [f"wf-{uuid.uuid4().hex[:12]}"]
    _push_and_wait(serve, api, commit, again)
    assert forced_deploys() == len(triggered) + 1
    assert {n: _app(host, n) for n in ("plain", "disabled")} == {n: before[n] for n in ("plain", "disabled")}


def _push_and_wait(serve: ServeProcess, api: httpx.Client, commit: str, deliveries: list[str]) -> None:
    for delivery in deliveries:
        answer = _signed_push(serve, commit, delivery)
        assert answer.status_code == 202, answer.text

    def delivered() -> bool:
        states = [api.get(f"/api/deliveries/{d}").json().get("status") for d in deliveries]
        assert "failed" not in states, states
        return all(s == "completed" for s in states)

    wait_for("the pushes' triggers completed", delivered, 300, serve)


def _epoch(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
