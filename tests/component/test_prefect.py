"""A trivial flow runs against the Prefect test harness and its result is recorded by the API."""

from __future__ import annotations

import asyncio

import pytest
from prefect import flow, get_client, task

pytestmark = pytest.mark.prefect


@task(retries=2, retry_delay_seconds=0)
def double(x: int) -> int:
    return 2 * x


@flow(name="ff-smoke")
def smoke(x: int) -> int:
    return double(x) + 1


def test_flow_runs_and_is_recorded(prefect_harness: None) -> None:
    state = smoke(20, return_state=True)
    assert state.is_completed()
    assert state.result() == 41

    async def runs() -> list[str]:
        async with get_client() as client:
            found = await client.read_flow_runs()
            return [r.name for r in found if r.id == state.state_details.flow_run_id]

    assert len(asyncio.run(runs())) == 1
