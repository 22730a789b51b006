"""Scheduled polls survive a Prefect server restart: runs scheduled before it still run after it."""

from __future__ import annotations

import asyncio
import shutil
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from prefect import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterDeploymentId
from prefect.settings import PREFECT_API_URL, temporary_settings

from deployments.pools import CORE_POOL
from deployments.register import deployment_ids, register_core
from fleetflow.runtime import context
from tests.support.gitrepo import GitRemote
from tests.support.processes import PrefectServer, Process

pytestmark = [pytest.mark.e2e, pytest.mark.mongo]

POLL_SECONDS = 5


@pytest.fixture
def core(tmp_path: Path, mongodb_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    prefect = shutil.which("prefect", path=str(Path(sys.executable).parent))
    assert prefect is not None
    server = PrefectServer(home=tmp_path / "prefect").start(prefect)
    store_url = f"{mongodb_url.rstrip('/')}/ff_sched_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("FLEETFLOW_STORE_URL", store_url)
    monkeypatch.setenv("FLEETFLOW_HOME", str(tmp_path / "core"))
    context.reset()
    env = {
        **server.env(),
        "FLEETFLOW_STORE_URL": store_url,
        "FLEETFLOW_HOME": str(tmp_path / "worker"),
        "PREFECT_HOME": str(tmp_path / "worker" / "prefect"),
        "PREFECT_WORKER_QUERY_SECONDS": "2",
    }
    argv = [prefect, "worker", "start", "--pool", CORE_POOL, "--type", "process"]
    with temporary_settings({PREFECT_API_URL: server.api_url}):
        yield {"server": server, "prefect": prefect, "env": env, "argv": argv, "tmp": tmp_path}
    server.stop()
    context.store().drop_everything()
    context.reset()


async def poll_runs(deployment: str) -> list[Any]:
    ids = await deployment_ids([deployment])
    async with get_client() as client:
        return list(
            await client.read_flow_runs(
                flow_run_filter=FlowRunFilter(deployment_id=FlowRunFilterDeploymentId(any_=[ids[deployment]]))
            )
        )


def completed_since(deployment: str, since: datetime) -> int:
    runs = asyncio.run(poll_runs(deployment))
    return sum(
        1 for r in runs if r.state_type.value == "COMPLETED" and r.start_time and r.start_time >= since
    )


def wait_completed(deployment: str, since: datetime, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while completed_since(deployment, since) < count:
        assert time.monotonic() < deadline, f"fewer than {count} completed runs of {deployment} since {since}"
        time.sleep(2)


def test_scheduled_polls_keep_running_across_a_server_restart(core: dict[str, Any]) -> None:
    remote = GitRemote.create(core["tmp"] / "git")
    remote.commit("servers only", {"syncs/servers.toml": '[[server]]\nname = "h1"\n'})
    asyncio.run(
        register_core(remote.url, sync_name="sched", resource_paths=["syncs"], poll_seconds=POLL_SECONDS)
    )
    worker = Process(core["argv"], core["tmp"] / "worker.log", core["env"]).start()
    try:
        started = datetime.now(UTC)
        wait_completed("poll-repo/sched", started, 2, timeout=90)

        core["server"].restart(core["prefect"])
        restarted = datetime.now(UTC)
        wait_completed("poll-repo/sched", restarted, 2, timeout=120)
        late = [
            r
            for r in asyncio.run(poll_runs("poll-repo/sched"))
            if r.state_name == "Late" and (restarted - r.expected_start_time).total_seconds() > 30
        ]
        assert not late, [r.name for r in late]
    finally:
        worker.stop()
    cursor = context.store().get_repo_cursor(remote.url, "main")
    assert cursor is not None
