"""A Prefect server that demands PREFECT_SERVER_API_AUTH_STRING: fleetflow's clients honour it.

`fleetflow deploy` without the string, or with a wrong one, stops with an
error naming the setting (and never the value); with it, it registers the
fleet. An agent started with it comes online on its pool, and the HTTP API's
health probe tells a refused credential apart from a healthy server.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect import get_client
from prefect.settings import PREFECT_API_AUTH_STRING, temporary_settings

from fleetflow.api.health import prefect_probe
from tests.support.processes import PrefectServer, Process

pytestmark = pytest.mark.e2e

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "homelab"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[PrefectServer]:
    prefect = shutil.which("prefect", path=str(Path(sys.executable).parent))
    assert prefect is not None
    auth = f"fleetflow:{uuid.uuid4().hex}"
    running = PrefectServer(home=tmp_path / "prefect", auth_string=auth).start(prefect)
    yield running
    running.stop()


def fleetflow(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the `fleetflow` CLI with exactly the Prefect credentials in ``env``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "FLEETFLOW_"))}
    return subprocess.run(
        [str(Path(sys.executable).parent / "fleetflow"), *args],
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


async def online_workers(pool: str) -> list[str]:
    async with get_client() as client:
        workers = await client.read_workers_for_work_pool(pool)
    return [w.name for w in workers if w.status is not None and w.status.value == "ONLINE"]


def test_deploy_and_agent_honour_the_auth_string(server: PrefectServer, tmp_path: Path) -> None:
    assert server.auth_string is not None
    password = server.auth_string.split(":", 1)[1]
    base = server.env() | {"FLEETFLOW_HOME": str(tmp_path / "core")}
    base.pop("PREFECT_API_AUTH_STRING")
    deploy = ("deploy", str(EXAMPLE), "--sync", "homelab")

    missing = fleetflow(*deploy, env=base)
    assert missing.returncode == 1, missing.stdout + missing.stderr
    assert "HTTP 401" in missing.stderr
    assert "no credentials" in missing.stderr
    assert "PREFECT_API_AUTH_STRING" in missing.stderr
    assert "Traceback" not in missing.stderr

    wrong = fleetflow(*deploy, env=base | {"PREFECT_API_AUTH_STRING": "fleetflow:not-it"})
    assert wrong.returncode == 1
    assert "wrong credentials" in wrong.stderr
    assert "not-it" not in wrong.stderr

    good = fleetflow(*deploy, env=server.env() | {"FLEETFLOW_HOME": str(tmp_path / "core")})
    assert good.returncode == 0, good.stdout + good.stderr
    assert "registered 6 deployment(s)" in good.stdout
    assert password not in good.stdout + good.stderr

    agent_env = server.env() | {"FLEETFLOW_HOME": str(tmp_path / "agent")}
    agent_env["PREFECT_HOME"] = str(tmp_path / "agent" / "prefect")
    fleetflow_bin = str(Path(sys.executable).parent / "fleetflow")
    argv = [fleetflow_bin, "agent", "--server", "local", "--query-seconds", "2"]
    agent = Process(argv, tmp_path / "agent.log", agent_env).start()
    try:
        with temporary_settings(server.settings()):
            deadline = time.monotonic() + 60
            while not asyncio.run(online_workers("host-local")):
                assert agent.alive, agent.tail()
                assert time.monotonic() < deadline, f"no agent online on host-local:\n{agent.tail()}"
                time.sleep(1)
            assert asyncio.run(prefect_probe()()) is None
        with temporary_settings(server.settings() | {PREFECT_API_AUTH_STRING: "fleetflow:not-it"}):
            refused = asyncio.run(prefect_probe()())
    finally:
        agent.stop()
    assert refused is not None
    assert "HTTP 401" in refused
    assert "PREFECT_API_AUTH_STRING" in refused
    assert "not-it" not in refused
    assert password not in agent.log.read_text(errors="replace")
