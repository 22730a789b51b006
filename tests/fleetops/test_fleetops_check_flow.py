"""fleet-check end to end: a local daemon with an online agent, an SSH-only host, a dark host.

Real test-bed daemons, sshd and Prefect API: the agent is a worker heartbeat on ``host-h1``, the
failed run is a real flow run tagged ``host:edge`` that raised.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from prefect import flow, tags
from prefect.client.orchestration import get_client
from typer.testing import CliRunner

from deployments.pools import ensure_pool
from fleetflow.cli.fleet import EXIT_NOT_OK, fleet_app
from flows.fleet_check import fleet_check
from tests.fleetops.conftest import AddServer, artifact_table, run_state

pytestmark = [pytest.mark.docker, pytest.mark.ssh, pytest.mark.prefect]

CALM = {"stats_monitoring": False}
"""No CPU/mem/disk verdicts: this shared test machine is often at 100% CPU (the rules are unit-tested)."""


@flow(name="fleetops-test-failing")
def failing() -> None:
    raise RuntimeError("deliberate failure for fleet-check")


async def _agent_online(server: str) -> None:
    async with get_client() as client:
        await ensure_pool(client, f"host-{server}", f"test {server}")
        await client.send_worker_heartbeat(f"host-{server}", f"agent-{server}", 30)


@pytest.fixture
def fleet(
    prefect_harness: None,
    add_server: AddServer,
    ssh_env: None,
    ssh_address: str,
    docker_hosts: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("FLEETFLOW_SSH_DOCKER_HOST", docker_hosts["host2"])
    add_server("h1", address=docker_hosts["host1"], **CALM)
    add_server("edge", address=ssh_address, **CALM)
    add_server("dark", address=f"unix://{tmp_path / 'nothing.sock'}", **CALM)
    asyncio.run(_agent_online("h1"))
    with tags("host:edge"):
        assert failing(return_state=True).is_failed()


def test_status_per_host_and_one_table(fleet: None) -> None:
    state = run_state(fleet_check(timeout_s=15, return_state=True))
    result: dict[str, Any] = state.result()
    checks = {c["server"]: c for c in result["checks"]}
    h1, edge, dark = checks["h1"], checks["edge"], checks["dark"]

    assert h1["status"] == "ok", h1["reasons"]
    assert h1["agent"]["state"] == "online"
    assert h1["agent"]["workers"] == ["agent-h1"]
    assert h1["engine_version"].startswith("20.10")
    assert h1["probe"]["reachable"]
    assert h1["cpu_percent"] is None  # stats_monitoring = false
    assert abs(h1["probe"]["skew_s"]) < 1.0

    assert edge["reach"] == "ssh"
    assert edge["agent"]["state"] == "no agent"
    assert edge["engine_version"].startswith("20.10")  # Docker reached only through SSH
    assert edge["probe"]["latency_ms"] > 0
    assert abs(edge["probe"]["skew_s"]) < 1.0
    assert edge["failed_runs"]
    assert edge["status"] == "warn"
    assert "1 failed run(s) in 24 h" in edge["reasons"]

    assert dark["status"] == "fail"
    assert any(r.startswith("docker:") for r in dark["reasons"])
    assert dark["agent"]["state"] == "missing"

    assert (result["status"], result["counts"]) == ("fail", {"ok": 1, "warn": 1, "fail": 1})
    rows = asyncio.run(artifact_table(state.state_details.flow_run_id, "fleet-check"))
    assert {r["server"]: r["status"] for r in rows} == {"h1": "ok", "edge": "warn", "dark": "fail"}


def test_cli_check_exit_status_and_json(fleet: None) -> None:
    runner = CliRunner()
    good = runner.invoke(fleet_app, ["check", "-s", "h1", "--json"])
    assert good.exit_code == 0, good.output
    assert json.loads(good.output)["status"] == "ok"
    bad = runner.invoke(fleet_app, ["check"])
    assert bad.exit_code == EXIT_NOT_OK
    assert "fleet check: fail" in bad.output
