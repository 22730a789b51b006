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
``query_seconds``). A poll also looks ``lookahead_seconds`` ahead, so a run the
schedules put between two polls starts on time, not at the next poll; ``wake``
asks for a poll now. A run whose flow raises ends Failed; a run cancelled from
the UI is stopped here (its asyncio task is cancelled, child processes such as
``docker compose`` are killed by their own timeouts/cancellation) and marked
Cancelled.

While ``serve`` runs, one async and one sync API client serve every poll,
claim, trigger and every run's engine (``shared_clients``): an idle poll is one
HTTP request, and a run sets up no client (each new one loads a CA bundle:
40-170 ms of CPU).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import anyio
from prefect.client.orchestration import PrefectClient, get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.objects import FlowRun, State, StateType
from prefect.context import AsyncClientContext, SyncClientContext
from prefect.exceptions import Abort
from prefect.flow_engine import run_flow
from prefect.flows import Flow
from prefect.states import Cancelled, Crashed, Pending
from prefect.utilities.engine import propose_state

from fleetflow.runtime import memory

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


@asynccontextmanager
async def shared_clients() -> AsyncIterator[PrefectClient]:
    """One async and one sync Prefect client for everything in this context (flow and task engines too).

    Prefect's engines take the clients of the enclosing client contexts instead of
    making their own for each flow and task run.
    """
    async with AsyncClientContext() as async_context:
        with SyncClientContext():
            yield async_context.client


def cancelling(flow_run: FlowRun) -> bool:
    """True when the UI (or the API) asked this run to stop."""
    state = flow_run.state
    return state is not None and (
        state.type == StateType.CANCELLING
        or (state.type == StateType.CANCELLED and state.name == "Cancelling")
    )


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
    lookahead_seconds: float = 300.0
    limit: int = 8
    running: dict[UUID, asyncio.Task[None]] = field(default_factory=dict)
    finished: dict[UUID, StateType | None] = field(default_factory=dict)
    next_due: datetime | None = None
    """The start time of the earliest scheduled run seen ahead by the last poll."""
    polls: int = 0
    """Polls ``serve`` has made (answered or not)."""
    _client: PrefectClient | None = field(default=None, repr=False)
    _wake: asyncio.Event | None = field(default=None, repr=False)
    _context: contextvars.Context | None = field(default=None, repr=False)
    """The context runs start in while ``serve`` runs: with its shared clients."""

    @asynccontextmanager
    async def api(self) -> AsyncIterator[PrefectClient]:
        """The runner's long-lived client while ``serve`` runs, else a client for this call."""
        if self._client is not None:
            yield self._client
            return
        async with get_client() as client:
            yield client

    def wake(self) -> None:
        """Poll now (call on the runner's event loop), e.g. after creating a run to start soon."""
        if self._wake is not None:
            self._wake.set()

    async def trigger(
        self, deployment_id: UUID, *, parameters: dict[str, Any] | None = None, tags: list[str] | None = None
    ) -> UUID:
        """Create a run of ``deployment_id`` and start it here at once (no poll wait)."""
        async with self.api() as client:
            flow_run = await client.create_flow_run_from_deployment(
                deployment_id, parameters=parameters, tags=tags
            )
            await self._submit(client, flow_run)
        return flow_run.id

    async def _scheduled(self, client: PrefectClient, before: datetime, limit: int) -> list[FlowRun]:
        """Scheduled runs starting before ``before``, earliest first, at most ``limit``."""
        if self.work_pool:
            responses = await client.get_scheduled_flow_runs_for_work_pool(
                self.work_pool, scheduled_before=before
            )
            runs = [r.flow_run for r in responses]
        elif self.deployment_ids:
            runs = await client.get_scheduled_flow_runs_for_deployments(
                deployment_ids=self.deployment_ids, scheduled_before=before, limit=limit
            )
        else:
            runs = []
        return sorted(runs, key=_start_time)[:limit]

    async def poll_once(self) -> int:
        """Claim and start every due run; returns how many were started.

        One request when nothing is due and nothing runs; remembers in ``next_due``
        when the next scheduled run (within ``lookahead_seconds``) is due.
        """
        now = datetime.now(UTC)
        due_by = now + timedelta(seconds=1)
        started = 0
        async with self.api() as client:
            runs: list[FlowRun] = []
            free = self.limit - len(self.running)
            if free > 0:  # the due runs that fit, and the first one after them (for next_due)
                ahead = now + timedelta(seconds=max(self.lookahead_seconds, 1))
                runs = await self._scheduled(client, ahead, limit=free + 1)
            later: list[datetime] = []
            for flow_run in runs:
                start = _start_time(flow_run)
                if start > due_by:
                    later.append(start)
                    continue
                if len(self.running) >= self.limit:
                    break
                started += await self._submit(client, flow_run)
            self.next_due = min(later) if later else None
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
        context = self._context.copy() if self._context is not None else None
        task = asyncio.create_task(self._run(flow, claimed), name=f"flow-run-{claimed.name}", context=context)
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
            if not self.running:
                await self._idle()

    async def _idle(self) -> None:
        """Nothing runs: collect what the runs left behind and give the memory back to the OS."""
        memory.collect()

    async def _stop_cancelled(self, client: PrefectClient) -> None:
        """Cancel the tasks of runs the UI moved to Cancelling: one query for all runs in flight."""
        if not self.running:
            return
        flow_runs = await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=list(self.running))),
            limit=len(self.running),
        )
        for flow_run in flow_runs:
            task = self.running.get(flow_run.id)
            if task is not None and cancelling(flow_run):
                task.cancel()

    async def wait(self, run_id: UUID, timeout: float) -> StateType | None:
        """Wait (bounded) until a run this process started has finished."""
        with anyio.move_on_after(timeout):
            while run_id not in self.finished:
                await asyncio.sleep(0.05)
        return self.finished.get(run_id)

    def _pause(self) -> float:
        """Seconds until the next poll: ``query_seconds``, or less when a scheduled run is due sooner."""
        pause = self.query_seconds
        if self.next_due is not None:
            pause = min(pause, max((self.next_due - datetime.now(UTC)).total_seconds(), 0.0))
        return pause

    async def serve(self, stop: asyncio.Event) -> None:
        """Poll every ``query_seconds`` (and when a scheduled run is due) until ``stop`` is set.

        Then cancel what still runs. The shared clients serve the whole time.
        """
        self._wake = wake = asyncio.Event()
        memory.limit_arenas()
        memory.settle()  # what is loaded by now lives as long as the process

        async def stopped() -> None:
            await stop.wait()
            wake.set()

        watcher = asyncio.create_task(stopped())
        said_down = False
        try:
            while not stop.is_set():
                try:
                    async with shared_clients() as client:
                        self._client, self._context = client, contextvars.copy_context()
                        try:
                            await self._serve(stop, wake)
                        finally:
                            await self._cancel_all()  # while the shared clients are still open
                except Exception as exc:  # the API did not answer the clients' version check
                    if not said_down:
                        log.warning(
                            "the Prefect API does not answer (retrying): %s: %s", type(exc).__name__, exc
                        )
                    said_down = True
                    with anyio.move_on_after(self.query_seconds):
                        await wake.wait()
                    wake.clear()
                finally:
                    self._client = self._context = None
        finally:
            watcher.cancel()
            self._wake = None
            await self._cancel_all()

    async def _cancel_all(self) -> None:
        for task in list(self.running.values()):
            task.cancel()
        if self.running:
            await asyncio.wait(list(self.running.values()), timeout=5)

    async def _serve(self, stop: asyncio.Event, wake: asyncio.Event) -> None:
        said_down = False
        while not stop.is_set():
            wake.clear()
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
                self.next_due = None
            self.polls += 1
            with anyio.move_on_after(self._pause()):
                await wake.wait()


def _start_time(flow_run: FlowRun) -> datetime:
    start = flow_run.next_scheduled_start_time or flow_run.expected_start_time
    return start if start is not None else datetime.min.replace(tzinfo=UTC)
