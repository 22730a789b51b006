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


async def test_a_run_scheduled_on_its_pool_wakes_the_agent_before_its_next_query(
    prefect_harness: None,
) -> None:
    """Queries every hour: only the event stream can make the agent run it within the test's bound.

    A run is created every 5 s until one completes (the first ones may come before the agent's
    subscription is up; a later event's query claims every due run), 120 s at most.
    """
    server = "wagent-wake"
    async with get_client() as client:
        await client.create_work_pool(WorkPoolCreate(name=f"host-{server}", type="process"), overwrite=True)
    deployment = await marker.ato_deployment(
        name="marker-wake", work_pool_name=f"host-{server}", entrypoint_type=EntrypointType.MODULE_PATH
    )
    deployment_id = await deployment.aapply()
    stop = asyncio.Event()
    agent = asyncio.create_task(run_agent(server, query_seconds=3600, limit=None, stop=stop))
    try:
        async with get_client() as client:
            for _ in range(600):  # the agent's first query is behind it once it heartbeats
                if await client.read_workers_for_work_pool(f"host-{server}"):
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(2.0)  # the first query surely behind: this can only make the test stricter
            runs = []
            done = None
            for tick in range(1200):  # bounded: 120 s, far below the hour between queries
                if tick % 50 == 0:
                    runs.append(
                        await client.create_flow_run_from_deployment(
                            deployment_id, parameters={"word": "woken"}
                        )
                    )
                states = [(await client.read_flow_run(r.id)).state for r in runs]
                done = next((s for s in states if s is not None and s.is_final()), None)
                if done is not None:
                    break
                await asyncio.sleep(0.1)
            assert done is not None, "no run on the pool was started by an event within 120 s"
            assert done.type == StateType.COMPLETED, done
            assert RAN_IN["woken"] == os.getpid()
    finally:
        stop.set()
        await asyncio.wait_for(agent, timeout=10)
