"""update-agents over the test-bed sshd: a real pip into a throwaway venv, harmless restarts.

Only a hand-built ``ffdummy`` wheel is installed, always with ``--no-index --find-links`` (nothing
reaches the network). The restart command appends the server name to a log file.
"""

from __future__ import annotations

import asyncio
import shlex
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from prefect.client.orchestration import get_client
from prefect.settings import PREFECT_API_URL

from fleetflow.fleetops.agents import Outcome, StepKind, UpdateOptions, execute_update, plan_update
from fleetflow.hosts.connect import SshOptions, connect
from fleetflow.hosts.ssh import SshHost
from flows.update_agents import update_agents
from tests.fleetops.conftest import AddServer, installed_version, run_state


@pytest.fixture
def ssh_hosts(ssh_address: str, ssh_target: dict[str, Any], tmp_path: Path) -> Iterator[dict[str, SshHost]]:
    """Three servers, all the test-bed sshd (each its own connection)."""
    options = SshOptions(key_path=Path(ssh_target["client_key"]), known_hosts=Path(ssh_target["known_hosts"]))
    hosts = {}
    for name in ("a", "b", "c"):
        host = connect(name, ssh_address, stacks_root=tmp_path / "stacks", ssh_options=options)
        assert isinstance(host, SshHost)
        hosts[name] = host
    yield hosts
    for host in hosts.values():
        asyncio.run(host.close())


def options(venv: Path, wheels: Path, log: Path, **more: Any) -> UpdateOptions:
    return UpdateOptions(
        package="ffdummy",
        venv=str(venv),
        pip_options=("--no-index", "--find-links", str(wheels)),
        restart_command=f"sh -c 'echo {{server}} >> {log}'",
        verify_interval_s=0.05,
        **more,
    )


@pytest.mark.ssh
async def test_one_host_at_a_time_and_stop_on_failed_verify(
    ssh_hosts: dict[str, SshHost], agent_venv: Path, wheelhouse: Path, tmp_path: Path
) -> None:
    log = tmp_path / "restarts.log"
    probed: list[tuple[str, datetime]] = []

    async def probe(server: str, since: datetime) -> bool:
        probed.append((server, since))
        return server == "a"

    opts = options(agent_venv, wheelhouse, log, version="1.0", verify_timeout_s=0.3)
    results = await execute_update(plan_update(["a", "b", "c"], opts), ssh_hosts, probe)
    assert [(r.server, r.outcome, r.step) for r in results] == [
        ("a", Outcome.UPDATED, None),
        ("b", Outcome.FAILED, StepKind.VERIFY),
        ("c", Outcome.SKIPPED, None),
    ]
    assert log.read_text().split() == ["a", "b"]
    assert {s for s, _ in probed} == {"a", "b"}
    assert len([s for s, _ in probed if s == "b"]) > 1
    assert installed_version(agent_venv, "ffdummy") == "1.0"

    results = await execute_update(
        plan_update(["c"], options(agent_venv, wheelhouse, log)), ssh_hosts, probe=lambda s, t: _yes()
    )
    assert results[0].outcome is Outcome.UPDATED
    assert installed_version(agent_venv, "ffdummy") == "2.0"  # no version = --upgrade to the newest
    assert log.read_text().split() == ["a", "b", "c"]


async def _yes() -> bool:
    return True


@pytest.mark.ssh
async def test_missing_version_fails_at_install_and_nothing_restarts(
    ssh_hosts: dict[str, SshHost], agent_venv: Path, wheelhouse: Path, tmp_path: Path
) -> None:
    log = tmp_path / "restarts.log"
    opts = options(agent_venv, wheelhouse, log, version="9.9")
    results = await execute_update(plan_update(["a", "b"], opts), ssh_hosts, probe=lambda s, t: _yes())
    assert [(r.outcome, r.step) for r in results] == [
        (Outcome.FAILED, StepKind.INSTALL),
        (Outcome.SKIPPED, None),
    ]
    assert "ffdummy==9.9" in results[0].detail
    assert "exited 1" in results[0].detail
    assert not log.exists()


HEARTBEAT = (
    "import asyncio, sys\n"
    "from prefect.client.orchestration import get_client\n"
    "async def main():\n"
    "    async with get_client() as c:\n"
    "        await c.send_worker_heartbeat(f'host-{sys.argv[1]}', f'agent-{sys.argv[1]}', 30)\n"
    "asyncio.run(main())\n"
)


@pytest.mark.prefect
def test_flow_dry_run_plans_agents_only(prefect_harness: None, add_server: AddServer) -> None:
    add_server("alpha")
    add_server("beta", address="unix:///run/beta.sock")
    add_server("edge", address="ssh://root@127.0.0.1:27122")
    result = asyncio.run(update_agents(version="1.2.3", dry_run=True, venv="/srv/ff"))
    assert result["skipped_agentless"] == ["edge"]
    assert result["results"] == []
    assert result["ok"]
    rows = [(r["server"], r["step"], r["command"]) for r in result["plan"]]
    assert [r[:2] for r in rows] == [
        ("alpha", "install"), ("alpha", "restart"), ("alpha", "verify"),
        ("beta", "install"), ("beta", "restart"), ("beta", "verify"),
    ]  # fmt: skip
    assert rows[0][2].endswith(
        "/srv/ff/bin/python -m pip install --disable-pip-version-check --no-input fleetflow==1.2.3"
    )
    assert rows[4][2] == "systemctl restart fleetflow-agent-beta"


@pytest.mark.prefect
def test_flow_refuses_agentless_servers(prefect_harness: None, add_server: AddServer) -> None:
    add_server("edge", address="ssh://root@127.0.0.1:27122")
    state = run_state(update_agents(servers=["edge"], dry_run=True, return_state=True))
    assert state.is_failed()
    assert "agentless" in str(state.message)


@pytest.mark.ssh
@pytest.mark.prefect
def test_flow_updates_over_ssh_and_sees_the_worker_come_back(
    prefect_harness: None,
    add_server: AddServer,
    ssh_env: None,
    ssh_address: str,
    agent_venv: Path,
    wheelhouse: Path,
    tmp_path: Path,
) -> None:
    """The 'restart' sends a real worker heartbeat to the test Prefect API; the flow's real probe sees it."""
    add_server("alpha", external_address=ssh_address)
    add_server("beta", external_address=ssh_address)
    beat = tmp_path / "beat.py"
    beat.write_text(HEARTBEAT)
    api = PREFECT_API_URL.value()
    restart = f"env PREFECT_API_URL={api} PREFECT_HOME={tmp_path / 'ph'} {sys.executable} {beat} {{server}}"
    asyncio.run(_pools("alpha", "beta"))
    result = asyncio.run(
        update_agents(
            version="2.0",
            package="ffdummy",
            venv=str(agent_venv),
            pip_options=["--no-index", "--find-links", str(wheelhouse)],
            restart_command=restart,
            verify_timeout_s=30,
        )
    )
    assert [(r["server"], r["outcome"]) for r in result["results"]] == [
        ("alpha", "updated"),
        ("beta", "updated"),
    ]
    assert result["ok"]
    assert installed_version(agent_venv, "ffdummy") == "2.0"
    assert shlex.quote(str(agent_venv)) in " ".join(r["command"] for r in result["plan"])


async def _pools(*servers: str) -> None:
    from deployments.pools import ensure_pool

    async with get_client() as client:
        for server in servers:
            await ensure_pool(client, f"host-{server}", f"test {server}")
