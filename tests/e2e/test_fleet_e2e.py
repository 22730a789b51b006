"""The multi-host path for real: `prefect server start` on PostgreSQL with an auth string, one worker
(agent) per test-bed daemon, FerretDB as the state DB, a real git remote. The sync runs here and fans
out to host pools."""

from __future__ import annotations

import asyncio
import contextvars
import shutil
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prefect.settings import temporary_settings

from fleetflow.runtime import context
from tests.support.fleet import compose, container_ids, remove_projects
from tests.support.gitrepo import GitRemote
from tests.support.processes import PrefectServer, Process

pytestmark = [pytest.mark.e2e, pytest.mark.docker, pytest.mark.mongo, pytest.mark.postgres]

PROJECTS = ["alpha", "beta", "gamma", "delta"]


def files(
    stacks: dict[str, str], servers: list[str], image: str, beta_cmd: str = "sleep 3600"
) -> dict[str, str]:
    out = {
        "syncs/servers.toml": "".join(
            f'[[server]]\nname = "{s}"\n[server.config]\naddress = ""\n\n' for s in servers
        )
    }
    entries = []
    for name, server in stacks.items():
        entries.append(
            f'[[stack]]\nname = "{name}"\ndeploy = true\n[stack.config]\nserver = "{server}"\n'
            f'run_directory = "stacks/{name}"\n'
        )
        out[f"stacks/{name}/compose.yaml"] = compose(beta_cmd if name == "beta" else "sleep 3600", image)
    out["syncs/stacks.toml"] = "\n".join(entries)
    return out


@pytest.fixture
def fleet_env(
    tmp_path: Path,
    docker_hosts: dict[str, str],
    mongodb_url: str,
    prefect_database: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[dict[str, Any]]:
    prefect = shutil.which("prefect", path=str(Path(sys.executable).parent))
    assert prefect is not None
    # A fleet's Prefect server as README sets it up: PostgreSQL, and an auth string that the
    # sync here and every agent must send.
    auth = f"fleetflow:{uuid.uuid4().hex}"
    server = PrefectServer(home=tmp_path / "prefect", auth_string=auth, database_url=prefect_database)
    server.start(prefect)
    store_url = f"{mongodb_url.rstrip('/')}/ff_e2e_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("FLEETFLOW_STORE_URL", store_url)
    monkeypatch.setenv("FLEETFLOW_HOME", str(tmp_path / "core"))
    monkeypatch.setenv("FLEETFLOW_DEPLOY_TIMEOUT_SECONDS", "60")
    context.reset()
    sockets = {"h1": docker_hosts["host1"], "h2": docker_hosts["host2"], "h3": docker_hosts["host3"]}
    sockets["h4"] = f"unix://{tmp_path}/dead/docker.sock"  # an engine that is down
    for url in list(sockets.values())[:3]:
        remove_projects(url, PROJECTS)
    agents: dict[str, Process] = {}

    def start_agent(name: str) -> Process:
        env = {
            **server.env(),
            "DOCKER_HOST": sockets[name],
            "FLEETFLOW_STORE_URL": store_url,
            "FLEETFLOW_HOME": str(tmp_path / f"agent-{name}"),
            "FLEETFLOW_DEPLOY_TIMEOUT_SECONDS": "60",
            "PREFECT_HOME": str(tmp_path / f"agent-{name}" / "prefect"),
        }
        argv = [
            str(Path(sys.executable).parent / "fleetflow"),
            "agent",
            "--server",
            name,
            "--query-seconds",
            "2",
        ]
        agents[name] = Process(argv, tmp_path / f"agent-{name}.log", env).start()
        return agents[name]

    with temporary_settings(server.settings()):
        yield {
            "server": server,
            "start_agent": start_agent,
            "agents": agents,
            "sockets": sockets,
            "prefect": prefect,
        }
    for agent in agents.values():
        agent.stop()
    server.stop()
    for url in list(sockets.values())[:3]:
        remove_projects(url, PROJECTS)
    context.store().drop_everything()
    context.reset()


def run_sync(remote: GitRemote, commit: str, **kw: Any) -> dict[str, Any]:
    from flows.sync_resources import sync_resources

    state = asyncio.run(
        sync_resources(
            repo=remote.url,
            commit=commit,
            resource_paths=["syncs"],
            fan_out="deployments",
            return_state=True,
            **kw,
        )
    )
    try:
        return {"result": state.result(), "state": state}
    except Exception as exc:
        return {"error": exc, "state": state}


async def pool_exists(name: str) -> bool:
    from prefect import get_client

    async with get_client() as client:
        try:
            await client.read_work_pool(name)
            return True
        except Exception:
            return False


def test_fleet_of_agents(fleet_env: dict[str, Any], tmp_path: Path, testbed_image: str) -> None:
    sockets = fleet_env["sockets"]
    for name in ("h1", "h2"):
        fleet_env["start_agent"](name)
    remote = GitRemote.create(tmp_path / "git")

    # 1. initial sync: every stack deployed on its own host by that host's agent
    head = remote.commit("fleet", files({"alpha": "h1", "beta": "h2"}, ["h1", "h2"], testbed_image))
    first = run_sync(remote, head)
    assert "error" not in first, first.get("error")
    assert {n: o["status"] for n, o in first["result"]["stacks"].items()} == {"alpha": "good", "beta": "good"}
    alpha_ids = container_ids(sockets["h1"], "alpha")
    assert alpha_ids
    assert container_ids(sockets["h2"], "beta")
    assert container_ids(sockets["h1"], "beta") == {}

    # 2. a commit touching beta only redeploys beta; alpha keeps its containers
    beta_ids = container_ids(sockets["h2"], "beta")
    head = remote.commit(
        "beta", files({"alpha": "h1", "beta": "h2"}, ["h1", "h2"], testbed_image, "sleep 7200")
    )
    second = run_sync(remote, head, changed_paths=["stacks/beta/compose.yaml"])
    assert "error" not in second, second.get("error")
    assert set(second["result"]["stacks"]) == {"beta"}
    assert container_ids(sockets["h1"], "alpha") == alpha_ids
    assert container_ids(sockets["h2"], "beta") != beta_ids

    # 3. a commit adding server h3 creates its pool; its agent then picks up gamma
    stacks = {"alpha": "h1", "beta": "h2", "gamma": "h3"}
    head = remote.commit("add h3", files(stacks, ["h1", "h2", "h3"], testbed_image, "sleep 7200"))
    outcome: dict[str, Any] = {}

    def sync_in_thread() -> None:
        outcome.update(run_sync(remote, head, changed_paths=["syncs/stacks.toml"]))

    # the thread must see this test's Prefect settings (a context variable), not start a temporary API
    worker = threading.Thread(target=contextvars.copy_context().run, args=(sync_in_thread,), daemon=True)
    worker.start()
    deadline = time.monotonic() + 60
    while not asyncio.run(pool_exists("host-h3")):
        assert time.monotonic() < deadline, "pool host-h3 was not created by the sync"
        time.sleep(1)
    fleet_env["start_agent"]("h3")
    worker.join(240)
    assert not worker.is_alive()
    assert "error" not in outcome, outcome.get("error")
    assert outcome["result"]["stacks"]["gamma"]["status"] == "good"
    assert container_ids(sockets["h3"], "gamma")

    # 4. a host whose engine is down: the others finish, its run fails after retries, an alert is recorded
    fleet_env["start_agent"]("h4")
    stacks |= {"delta": "h4"}
    head = remote.commit("add h4", files(stacks, ["h1", "h2", "h3", "h4"], testbed_image, "sleep 7200"))
    fourth = run_sync(remote, head, force=True)
    assert "error" in fourth
    outcomes = context.store().sync_runs(remote.url, limit=1)[0].stacks
    assert outcomes["delta"] == "failed", outcomes
    assert {outcomes[s] for s in ("alpha", "beta", "gamma")} <= {"good", "skipped"}, outcomes
    alerts = {a.dedup_key: a for a in context.store().open_alerts()}
    assert "deploy:delta" in alerts
    assert "unreachable" in alerts["deploy:delta"].message

    # 5. removing gamma and h4 (with delta) with delete: gamma is destroyed on h3; delta cannot be
    #    (its engine is down) and says so; the pool of h4 is removed after the destroys
    stacks.pop("gamma")
    stacks.pop("delta")
    remote.remove("stacks/gamma")
    remote.remove("stacks/delta")
    head = remote.commit("drop gamma and h4", files(stacks, ["h1", "h2", "h3"], testbed_image, "sleep 7200"))
    fifth = run_sync(remote, head, delete=True, changed_paths=["syncs/stacks.toml", "syncs/servers.toml"])
    assert "delta" in str(fifth.get("error")), fifth
    outcomes = context.store().sync_runs(remote.url, limit=1)[0].stacks
    assert outcomes["gamma"] == "destroyed", outcomes
    assert container_ids(sockets["h3"], "gamma") == {}
    assert container_ids(sockets["h1"], "alpha")
    assert not asyncio.run(pool_exists("host-h4"))

    # 6. every agent worked against a server demanding the auth string, and none logged it
    password = fleet_env["server"].auth_string.split(":", 1)[1]
    for agent in fleet_env["agents"].values():
        text = agent.log.read_text(errors="replace")
        assert password not in text
        # 7. the agents are warm: runs execute in the agent process, no `python -m prefect.engine` per run
        assert "in this process" in text, text[-2000:]


@pytest.mark.ssh
def test_agentless_ssh_host_beside_an_agent(
    fleet_env: dict[str, Any],
    tmp_path: Path,
    testbed_image: str,
    ssh_target: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One host with an agent, one reached over SSH from core (no agent, no pool): same guarantees."""
    sockets = fleet_env["sockets"]
    monkeypatch.setenv("FLEETFLOW_SSH_KEY_PATH", str(ssh_target["client_key"]))
    monkeypatch.setenv("FLEETFLOW_SSH_KNOWN_HOSTS", str(ssh_target["known_hosts"]))
    monkeypatch.setenv("FLEETFLOW_SSH_DOCKER_HOST", sockets["h2"])
    fleet_env["start_agent"]("h1")
    address = f"ssh://{ssh_target['user']}@{ssh_target['host']}:{ssh_target['port']}"
    remote = GitRemote.create(tmp_path / "git")

    def fleet(beta_cmd: str) -> dict[str, str]:
        out = files({"alpha": "h1", "beta": "edge"}, ["h1"], testbed_image, beta_cmd)
        out["syncs/servers.toml"] += f'[[server]]\nname = "edge"\n[server.config]\naddress = "{address}"\n'
        return out

    first = run_sync(remote, remote.commit("fleet", fleet("sleep 3600")))
    assert "error" not in first, first.get("error")
    assert {n: o["status"] for n, o in first["result"]["stacks"].items()} == {"alpha": "good", "beta": "good"}
    assert container_ids(sockets["h1"], "alpha")
    beta_ids = container_ids(sockets["h2"], "beta")
    assert beta_ids, "beta was not deployed over SSH onto host2's engine"
    assert not asyncio.run(pool_exists("host-edge")), "an agentless server must not get a pool"

    alpha_ids = container_ids(sockets["h1"], "alpha")
    head = remote.commit("beta", fleet("sleep 7200"))
    second = run_sync(remote, head, changed_paths=["stacks/beta/compose.yaml"])
    assert "error" not in second, second.get("error")
    assert set(second["result"]["stacks"]) == {"beta"}
    assert container_ids(sockets["h2"], "beta") != beta_ids
    assert container_ids(sockets["h1"], "alpha") == alpha_ids
