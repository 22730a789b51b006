"""Under the ``fleetflow`` CLI's logging set-up, run logs reach the Prefect API but not the terminal."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from uuid import UUID

import pytest
from prefect import get_client
from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
from prefect.settings import PREFECT_API_URL

pytestmark = pytest.mark.prefect

SCRIPT = textwrap.dedent(
    """
    import os
    from fleetflow.runtime.local import quiet_prefect_defaults, quiet_run_logs
    quiet_prefect_defaults()  # what reconcile adds: PREFECT_LOGGING_LEVEL=WARNING
    quiet_run_logs()          # what every fleetflow command does without --debug
    from prefect import flow, get_run_logger, task
    from prefect.runtime import flow_run

    @task
    def step() -> None:
        get_run_logger().info("task line for the UI")

    @flow
    def noisy() -> str:
        get_run_logger().info("flow line for the UI")
        step()
        return str(flow_run.id)

    print(noisy())
    """
)


async def test_run_logs_reach_the_api_and_stay_off_the_terminal(prefect_harness: None) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_LOGGING")}
    env["PREFECT_API_URL"] = str(PREFECT_API_URL.value())
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=180, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    run_id = UUID(done.stdout.strip().splitlines()[-1])
    assert "line for the UI" not in done.stderr + done.stdout
    async with get_client() as client:
        logs = await client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])))
    messages = {log.message for log in logs}
    assert {"flow line for the UI", "task line for the UI"} <= messages, messages
