"""What the Prefect API knows about hosts: agent workers on ``host-<server>`` and recent failed runs.

Agent status comes from the workers of the server's pool (status and last heartbeat); failed runs
are flow runs tagged ``host:<server>`` that ended FAILED or CRASHED in the look-back window, read in
a bounded number of pages. API errors become an ``UNKNOWN`` agent state, never an exception.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import httpx
from prefect.client.orchestration import PrefectClient
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterEndTime,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType, Worker, WorkerStatus
from prefect.client.schemas.sorting import FlowRunSort
from prefect.exceptions import ObjectNotFound, PrefectHTTPStatusError
from pydantic import BaseModel, ConfigDict

from fleetflow.agent import pool_name

STALE_AFTER_S = 120.0
"""A worker whose last heartbeat is older than this is not online (Prefect's own default is 90 s)."""

PAGE = 200
MAX_PAGES = 5
API_ERRORS = (httpx.HTTPError, PrefectHTTPStatusError, OSError, RuntimeError)


class AgentState(StrEnum):
    """An agent as the Prefect API sees it."""

    ONLINE = "online"
    OFFLINE = "offline"
    MISSING = "missing"
    NONE = "no agent"
    UNKNOWN = "unknown"


class AgentInfo(BaseModel):
    """The agent of one server: state, its workers, the newest heartbeat."""

    model_config = ConfigDict(frozen=True)

    state: AgentState
    workers: tuple[str, ...] = ()
    last_heartbeat: datetime | None = None
    detail: str = ""


def agent_from_workers(workers: Collection[Worker], now: datetime, stale_after_s: float) -> AgentInfo:
    """Pure: ONLINE when a worker says so with a heartbeat newer than ``stale_after_s``."""
    if not workers:
        return AgentInfo(state=AgentState.MISSING, detail="no worker has polled this pool")
    beats = [w.last_heartbeat_time for w in workers if w.last_heartbeat_time is not None]
    newest = max(beats, default=None)
    names = tuple(sorted(w.name for w in workers))
    fresh = [
        w
        for w in workers
        if w.status == WorkerStatus.ONLINE
        and w.last_heartbeat_time is not None
        and (now - w.last_heartbeat_time).total_seconds() <= stale_after_s
    ]
    if fresh:
        return AgentInfo(state=AgentState.ONLINE, workers=names, last_heartbeat=newest)
    age = f"{(now - newest).total_seconds():.0f} s ago" if newest else "never"
    return AgentInfo(
        state=AgentState.OFFLINE, workers=names, last_heartbeat=newest, detail=f"last heartbeat {age}"
    )


async def read_agent(
    client: PrefectClient, server: str, *, now: datetime | None = None, stale_after_s: float = STALE_AFTER_S
) -> AgentInfo:
    """The agent of ``server`` from its pool's workers; a missing pool is MISSING, API errors UNKNOWN."""
    try:
        workers = await client.read_workers_for_work_pool(pool_name(server))
    except ObjectNotFound:
        return AgentInfo(state=AgentState.MISSING, detail=f"work pool {pool_name(server)} does not exist")
    except PrefectHTTPStatusError as exc:
        if exc.response.status_code != 404:
            return AgentInfo(state=AgentState.UNKNOWN, detail=f"Prefect API: HTTP {exc.response.status_code}")
        return AgentInfo(state=AgentState.MISSING, detail=f"work pool {pool_name(server)} does not exist")
    except API_ERRORS as exc:
        return AgentInfo(state=AgentState.UNKNOWN, detail=f"Prefect API: {type(exc).__name__}: {exc}")
    return agent_from_workers(workers, now or datetime.now(UTC), stale_after_s)


async def online_since(client: PrefectClient, server: str, since: datetime) -> bool:
    """True when a worker of ``server``'s pool is ONLINE with a heartbeat at or after ``since``."""
    try:
        workers = await client.read_workers_for_work_pool(pool_name(server))
    except (ObjectNotFound, *API_ERRORS):
        return False
    return any(
        w.status == WorkerStatus.ONLINE
        and w.last_heartbeat_time is not None
        and w.last_heartbeat_time >= since
        for w in workers
    )


async def failed_runs(
    client: PrefectClient, servers: Collection[str], *, hours: float = 24.0, now: datetime | None = None
) -> dict[str, list[str]]:
    """server -> names of its FAILED/CRASHED flow runs (tag ``host:<server>``) that ended recently."""
    since = (now or datetime.now(UTC)) - timedelta(hours=hours)
    wanted = {f"host:{s}": s for s in servers}
    out: dict[str, list[str]] = {s: [] for s in servers}
    run_filter = FlowRunFilter(
        state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.FAILED, StateType.CRASHED])),
        end_time=FlowRunFilterEndTime.model_validate({"after_": since}),
    )
    for page in range(MAX_PAGES):
        runs = await client.read_flow_runs(
            flow_run_filter=run_filter, sort=FlowRunSort.END_TIME_DESC, limit=PAGE, offset=page * PAGE
        )
        for run in runs:
            for tag in run.tags:
                if tag in wanted:
                    out[wanted[tag]].append(run.name)
        if len(runs) < PAGE:
            break
    return out
