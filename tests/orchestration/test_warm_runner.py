"""The warm runner runs real Prefect flow runs in this process: states, logs, limits, cancels."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from prefect import flow, get_client, get_run_logger
from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
from prefect.client.schemas.objects import (
    ConcurrencyLimitConfig,
    ConcurrencyLimitStrategy,
    FlowRun,
    StateType,
)
from prefect.flows import Flow
from prefect.states import Cancelling, Scheduled

from fleetflow.runtime.warm_runner import WarmRunner

pytestmark = pytest.mark.prefect

SEEN: dict[str, Any] = {}


@flow(name="warm-echo")
async def warm_echo(word: str = "hi") -> str:
    get_run_logger().info("warm echo says %s", word)
    SEEN[word] = os.getpid()
    return word.upper()


@flow(name="warm-sync")
def warm_sync(word: str = "sync") -> str:
    SEEN[word] = os.getpid()
    return word


@flow(name="warm-fail", retries=0)
async def warm_fail() -> None:
    raise RuntimeError("this flow fails on purpose")


@flow(name="warm-client")
async def warm_client() -> None:
    SEEN["client"] = get_client()


@flow(name="warm-slow")
async def warm_slow(seconds: float = 30.0) -> None:
    SEEN["slow-started"] = True
    await asyncio.sleep(seconds)


async def runner_for(*flows: Flow[..., Any], **deployment_kw: Any) -> tuple[WarmRunner, dict[str, UUID]]:
    by_id: dict[UUID, Flow[..., Any]] = {}
    ids: dict[str, UUID] = {}
    for f in flows:
        dep_id = await (await f.ato_deployment(name="warm-test", **deployment_kw)).aapply()
        by_id[dep_id] = f
        ids[f.name] = dep_id

    async def flow_for(flow_run: FlowRun) -> Flow[..., Any] | None:
        return by_id.get(flow_run.deployment_id) if flow_run.deployment_id else None

    return WarmRunner(flow_for=flow_for, deployment_ids=list(by_id), query_seconds=0.2), ids


async def final_state(run_id: UUID) -> StateType | None:
    async with get_client() as client:
        run = await client.read_flow_run(run_id)
    return run.state.type if run.state else None


async def test_trigger_runs_in_this_process_with_state_and_logs(prefect_harness: None) -> None:
    runner, ids = await runner_for(warm_echo, warm_sync)
    run_id = await runner.trigger(ids["warm-echo"], parameters={"word": "warmth"})
    assert await runner.wait(run_id, timeout=60) == StateType.COMPLETED
    assert SEEN["warmth"] == os.getpid()  # no new process
    assert await final_state(run_id) == StateType.COMPLETED

    sync_id = await runner.trigger(ids["warm-sync"], parameters={"word": "threaded"})
    assert await runner.wait(sync_id, timeout=60) == StateType.COMPLETED
    assert SEEN["threaded"] == os.getpid()

    found = False
    for _ in range(100):  # logs are shipped by Prefect's background log worker
        async with get_client() as client:
            logs = await client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])))
        if any("warm echo says warmth" in entry.message for entry in logs):
            found = True
            break
        await asyncio.sleep(0.2)
    assert found, "the run's log line did not reach the API"


async def test_scheduled_runs_are_claimed_by_a_poll(prefect_harness: None) -> None:
    runner, ids = await runner_for(warm_echo)
    async with get_client() as client:
        scheduled = await client.create_flow_run_from_deployment(
            ids["warm-echo"], parameters={"word": "polled"}
        )
    assert await final_state(scheduled.id) == StateType.SCHEDULED
    assert await runner.poll_once() >= 1
    assert await runner.wait(scheduled.id, timeout=60) == StateType.COMPLETED
    assert await runner.poll_once() == 0  # nothing due, nothing started twice


async def test_a_failing_flow_ends_failed_and_the_runner_goes_on(prefect_harness: None) -> None:
    runner, ids = await runner_for(warm_fail, warm_echo)
    failed = await runner.trigger(ids["warm-fail"])
    assert await runner.wait(failed, timeout=60) == StateType.FAILED
    assert await final_state(failed) == StateType.FAILED
    ok = await runner.trigger(ids["warm-echo"], parameters={"word": "after"})
    assert await runner.wait(ok, timeout=60) == StateType.COMPLETED


async def test_concurrency_limit_cancel_new_coalesces(prefect_harness: None) -> None:
    limit = ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW)
    runner, ids = await runner_for(warm_slow, concurrency_limit=limit)
    first = await runner.trigger(ids["warm-slow"], parameters={"seconds": 120.0})
    second = await runner.trigger(ids["warm-slow"], parameters={"seconds": 120.0})
    assert second not in runner.running
    assert await final_state(second) == StateType.CANCELLED
    assert first in runner.running
    runner.running[first].cancel()  # the first one's work is not this test's business
    assert await runner.wait(first, timeout=60) == StateType.CANCELLED


async def test_cancel_from_the_ui_stops_the_run(prefect_harness: None) -> None:
    runner, ids = await runner_for(warm_slow)
    SEEN.pop("slow-started", None)
    run_id = await runner.trigger(ids["warm-slow"], parameters={"seconds": 120.0})
    for _ in range(200):
        if SEEN.get("slow-started"):
            break
        await asyncio.sleep(0.05)
    async with get_client() as client:
        await client.set_flow_run_state(run_id, Cancelling(), force=True)
    stop = asyncio.Event()
    serving = asyncio.create_task(runner.serve(stop))
    assert await runner.wait(run_id, timeout=120) == StateType.CANCELLED
    stop.set()
    await asyncio.wait_for(serving, timeout=10)
    assert await final_state(run_id) == StateType.CANCELLED


async def test_serve_stops_promptly(prefect_harness: None) -> None:
    runner, _ = await runner_for(warm_echo)
    runner.query_seconds = 60
    stop = asyncio.Event()
    serving = asyncio.create_task(runner.serve(stop))
    await asyncio.sleep(0.3)
    stop.set()
    await asyncio.wait_for(serving, timeout=timedelta(seconds=5).total_seconds())


async def serving(runner: WarmRunner) -> tuple[asyncio.Event, asyncio.Task[None]]:
    """Start ``runner.serve`` and return once its first poll is done."""
    stop = asyncio.Event()
    task = asyncio.create_task(runner.serve(stop))
    for _ in range(600):  # bounded: 60 s
        if runner.polls >= 1:
            break
        await asyncio.sleep(0.1)
    assert runner.polls >= 1, "the runner never polled"
    return stop, task


async def test_a_poll_notes_the_next_scheduled_run_and_leaves_it(prefect_harness: None) -> None:
    runner, ids = await runner_for(warm_echo)
    later = datetime.now(UTC) + timedelta(seconds=120)
    async with get_client() as client:
        future = await client.create_flow_run_from_deployment(
            ids["warm-echo"], parameters={"word": "later"}, state=Scheduled(scheduled_time=later)
        )
    assert await runner.poll_once() == 0
    assert runner.next_due is not None
    assert abs((runner.next_due - later).total_seconds()) < 1
    assert future.id not in runner.running
    assert await final_state(future.id) == StateType.SCHEDULED


async def test_runs_use_the_runners_shared_client(prefect_harness: None) -> None:
    runner, ids = await runner_for(warm_client)
    runner.query_seconds = 600
    stop, task = await serving(runner)
    try:
        run_id = await runner.trigger(ids["warm-client"])
        assert await runner.wait(run_id, timeout=60) == StateType.COMPLETED
        assert SEEN["client"] is runner._client  # no client set up per run
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)
    assert runner._client is None


async def test_wake_polls_at_once(prefect_harness: None) -> None:
    runner, ids = await runner_for(warm_echo)
    runner.query_seconds = 600
    stop, task = await serving(runner)
    try:
        async with get_client() as client:
            due = await client.create_flow_run_from_deployment(ids["warm-echo"], parameters={"word": "woken"})
        runner.wake()
        assert await runner.wait(due.id, timeout=60) == StateType.COMPLETED
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)
