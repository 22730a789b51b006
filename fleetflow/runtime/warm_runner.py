"""Run Prefect flow runs inside this already-warm process: no new Python process per run.

``serve`` and the agent use it instead of Prefect's runner/worker, which start a
fresh ``python`` (import Prefect and fleetflow again, 2-4 s of CPU) for every run.
The Prefect server still owns every run: schedules and ``run_deployment`` create
scheduled runs; the runner claims one by proposing Pending (so deployment
concurrency limits and collision strategies apply exactly as for Prefect's own
runner); Prefect's flow engine then runs the flow here and reports its states,
logs, artifacts and retries to the API as usual.

Runs are found two ways: ``trigger`` (create a run and start it now: the push
webhook's path) and ``poll_once`` (scheduled runs that are due, every
``query_seconds``). A run whose flow raises ends Failed; a run cancelled from
the UI is stopped here (its asyncio task is cancelled, child processes such as
``docker compose`` are killed by their own timeouts/cancellation) and marked
Cancelled.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import anyio
from prefect.client.orchestration import PrefectClient, get_client
from prefect.client.schemas.objects import FlowRun, State, StateType
from prefect.exceptions import Abort
from prefect.flow_engine import run_flow
from prefect.flows import Flow
from prefect.states import Cancelled, Crashed, Pending
from prefect.utilities.engine import propose_state

log = logging.getLogger("fleetflow.warm_runner")

FlowSource = Callable[[FlowRun], Awaitable[Flow[..., Any] | None]]
"""Finds the flow object for a claimed run (by deployment, or by entrypoint)."""

FINAL = {StateType.COMPLETED, StateType.FAILED, StateType.CRASHED, StateType.CANCELLED}


async def claim(client: PrefectClient, flow_run: FlowRun) -> bool:
    """Propose Pending for a scheduled run: True when this process may run it.

    The server refuses when another runner claimed it first or a deployment
    concurrency limit says so (CANCEL_NEW cancels it: coalesced, logged at debug).
    """
    try:
        state = await propose_state(client, Pending(), flow_run_id=flow_run.id)
    except Abort as exc:
        log.debug("flow run %s not claimed: %s", flow_run.id, exc)
        return False
    if not state.is_pending():
        log.debug("flow run %s not claimed: server answered %s", flow_run.id, state.type.value)
        return False
    return True


async def execute(flow: Flow[..., Any], flow_run: FlowRun) -> StateType | None:
    """Run one claimed flow run with Prefect's engine, here; returns its final state type."""
    if flow.isasync:
        state = await run_flow(flow, flow_run=flow_run, return_type="state")  # type: ignore[misc]
    else:
        call = functools.partial(run_flow, flow, flow_run=flow_run, return_type="state")
        state = await anyio.to_thread.run_sync(call)
    state_type = getattr(state, "type", None)
    return state_type if isinstance(state_type, StateType) else None


@dataclass
class WarmRunner:
    """Claims and runs flow runs in this process; bounded by ``limit`` runs at once.

    ``deployment_ids`` or ``work_pool`` say where due runs are looked for;
    ``flow_for`` maps a claimed run to the flow object to execute.
    """

    flow_for: FlowSource
    deployment_ids: list[UUID] = field(default_factory=list)
    work_pool: str = ""
    query_seconds: float = 5.0
    limit: int = 8
    running: dict[UUID, asyncio.Task[None]] = field(default_factory=dict)
    finished: dict[UUID, StateType | None] = field(default_factory=dict)

    async def trigger(
        self, deployment_id: UUID, *, parameters: dict[str, Any] | None = None, tags: list[str] | None = None
    ) -> UUID:
        """Create a run of ``deployment_id`` and start it here at once (no poll wait)."""
        async with get_client() as client:
            flow_run = await client.create_flow_run_from_deployment(
                deployment_id, parameters=parameters, tags=tags
            )
            await self._submit(client, flow_run)
        return flow_run.id

    async def poll_once(self) -> int:
        """Claim and start every due run; returns how many were started."""
        if len(self.running) >= self.limit:
            return 0
        before = datetime.now(UTC) + timedelta(seconds=1)
        async with get_client() as client:
            if self.work_pool:
                responses = await client.get_scheduled_flow_runs_for_work_pool(
                    self.work_pool, scheduled_before=before
                )
                runs = [r.flow_run for r in responses]
            elif self.deployment_ids:
                runs = await client.get_scheduled_flow_runs_for_deployments(
                    deployment_ids=self.deployment_ids, scheduled_before=before
                )
            else:
                runs = []
            started = 0
            for flow_run in runs:
                if len(self.running) >= self.limit:
                    break
                started += await self._submit(client, flow_run)
            await self._stop_cancelled(client)
        return started

    async def _submit(self, client: PrefectClient, flow_run: FlowRun) -> int:
        if flow_run.id in self.running or not await claim(client, flow_run):
            return 0
        flow = await self.flow_for(flow_run)
        if flow is None:
            message = f"no flow for deployment {flow_run.deployment_id} in this process"
            await propose_state(client, Crashed(message=message), flow_run_id=flow_run.id, force=True)
            return 0
        claimed = await client.read_flow_run(flow_run.id)
        task = asyncio.create_task(self._run(flow, claimed), name=f"flow-run-{claimed.name}")
        self.running[claimed.id] = task
        return 1

    async def _run(self, flow: Flow[..., Any], flow_run: FlowRun) -> None:
        outcome: StateType | None = None
        try:
            outcome = await execute(flow, flow_run)
        except asyncio.CancelledError:
            outcome = StateType.CANCELLED
            async with get_client() as client:
                await propose_state(
                    client, Cancelled(message="cancelled"), flow_run_id=flow_run.id, force=True
                )
        except Exception as exc:  # the engine records Failed itself; this is a crash around it
            log.exception("flow run %s crashed", flow_run.name)
            outcome = StateType.CRASHED
            async with get_client() as client:
                crashed: State[Any] = Crashed(message=f"{type(exc).__name__}: {exc}")
                await propose_state(client, crashed, flow_run_id=flow_run.id, force=True)
        finally:
            self.running.pop(flow_run.id, None)
            self.finished[flow_run.id] = outcome
            if len(self.finished) > 1000:
                self.finished.pop(next(iter(self.finished)))

    async def _stop_cancelled(self, client: PrefectClient) -> None:
        """Cancel the tasks of runs the UI moved to Cancelling."""
        for run_id, task in list(self.running.items()):
            flow_run = await client.read_flow_run(run_id)
            if flow_run.state is not None and flow_run.state.type == StateType.CANCELLING:
                task.cancel()

    async def wait(self, run_id: UUID, timeout: float) -> StateType | None:
        """Wait (bounded) until a run this process started has finished."""
        with anyio.move_on_after(timeout):
            while run_id not in self.finished:
                await asyncio.sleep(0.05)
        return self.finished.get(run_id)

    async def serve(self, stop: asyncio.Event) -> None:
        """Poll every ``query_seconds`` until ``stop`` is set, then cancel what still runs."""
        said_down = False
        while not stop.is_set():
            try:
                await self.poll_once()
                if said_down:
                    log.warning("the Prefect API answers again")
                said_down = False
            except Exception as exc:  # API down or pool missing: keep going, say so once
                if not said_down:
                    log.warning(
                        "could not ask the Prefect API for due runs (retrying): %s: %s",
                        type(exc).__name__,
                        exc,
                    )
                said_down = True
            with anyio.move_on_after(self.query_seconds):
                await stop.wait()
        for task in list(self.running.values()):
            task.cancel()
        if self.running:
            await asyncio.wait(list(self.running.values()), timeout=5)
