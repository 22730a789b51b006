"""The warm agent runs its pool's flow runs in its own process and heartbeats like a worker."""

from __future__ import annotations

import asyncio
import os

import pytest
from prefect import flow, get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.client.schemas.objects import StateType
from prefect.types.entrypoint import EntrypointType

from fleetflow.runtime.warm_agent import run_agent

pytestmark = pytest.mark.prefect

RAN_IN: dict[str, int] = {}


@flow(name="warm-agent-marker")
async def marker(word: str) -> str:
    RAN_IN[word] = os.getpid()
    return word


async def test_agent_claims_pool_runs_and_heartbeats(prefect_harness: None) -> None:
    server = "wagent1"
    async with get_client() as client:
        await client.create_work_pool(WorkPoolCreate(name=f"host-{server}", type="process"), overwrite=True)
    deployment = await marker.ato_deployment(
        name="marker", work_pool_name=f"host-{server}", entrypoint_type=EntrypointType.MODULE_PATH
    )
    deployment_id = await deployment.aapply()
    stop = asyncio.Event()
    agent = asyncio.create_task(run_agent(server, query_seconds=0.5, limit=None, stop=stop))
    try:
        async with get_client() as client:
            run = await client.create_flow_run_from_deployment(deployment_id, parameters={"word": "pooled"})
            state = None
            for _ in range(600):  # bounded: 60 s
                state = (await client.read_flow_run(run.id)).state
                if state is not None and state.is_final():
                    break
                await asyncio.sleep(0.1)
            assert state is not None
            assert state.type == StateType.COMPLETED, state
            assert RAN_IN["pooled"] == os.getpid()
            workers = await client.read_workers_for_work_pool(f"host-{server}")
            assert [w.name for w in workers] == [f"agent-{server}"]
            assert workers[0].last_heartbeat_time is not None
    finally:
        stop.set()
        await asyncio.wait_for(agent, timeout=10)
