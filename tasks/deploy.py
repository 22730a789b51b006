"""Tasks that act on a host: deploy one stack, run a stack action, read what runs."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import time
import weakref
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from prefect import get_client, get_run_logger
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.concurrency.asyncio import ConcurrencySlotAcquisitionError, concurrency
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

from fleetflow.agent import PROCESS_DEPLOY_SLOTS
from fleetflow.deploy import Action, DeployResult, DeploySpec, deploy, deploy_if_changed, run_action
from fleetflow.deploy.changes import why_deploy
from fleetflow.deploy.models import DeployStatus
from fleetflow.errors import ComponentUnavailable
from fleetflow.hosts.base import HostConnection
from fleetflow.resources import Desired
from fleetflow.runtime import context
from fleetflow.runtime.history import StoreHistory
from fleetflow.runtime.snapshot import RepoSnapshot
from tasks.logs import LineBatcher
from tasks.policy import DEFAULT, NEVER, RetryPolicy, fleet_task


@dataclass(frozen=True)
class Prepared:
    """What a sync already built for one stack: its ``deploy-stack`` subflow in this process uses it
    instead of fetching, loading and building the spec again. ``reason``: why it must deploy."""

    snapshot: RepoSnapshot
    desired: Desired
    spec: DeploySpec
    reason: str


_prepared: ContextVar[Mapping[str, Prepared] | None] = ContextVar("fleetflow_prepared", default=None)


@contextmanager
def handing_off(prepared: Prepared | None) -> Iterator[None]:
    """Make ``prepared`` visible to ``deploy-stack`` runs called (as subflows) inside this block."""
    if prepared is None:
        yield
        return
    token = _prepared.set({**(_prepared.get() or {}), prepared.spec.stack: prepared})
    try:
        yield
    finally:
        _prepared.reset(token)


def handed_off(repo: str, stack: str, commit: str | None) -> Prepared | None:
    """The sync's prepared deploy of ``stack`` at ``commit`` of ``repo``, if this run is its subflow.

    A run started any other way (UI, API, an agent) finds none and builds its own.
    """
    found = (_prepared.get() or {}).get(stack)
    if found is None or found.snapshot.repo != repo or found.snapshot.commit != commit:
        return None
    return found


def host_limit(server: str) -> str:
    """Name of the global concurrency limit bounding parallel deploys on ``server``."""
    return f"deploys-{server}"


_ensured: set[tuple[str, str]] = set()


def _api_url() -> str:
    from prefect.settings import get_current_settings

    return str(get_current_settings().api.url or "ephemeral")


async def ensure_host_limit(server: str, limit: int = 2) -> str:
    """Create the per-host deploy concurrency limit once per Prefect API (default 2 deploys per host)."""
    name = host_limit(server)
    key = (_api_url(), name)
    if key not in _ensured:
        async with get_client() as client:
            try:
                await client.read_global_concurrency_limit_by_name(name)
            except ObjectNotFound:
                with contextlib.suppress(ObjectAlreadyExists):  # a deploy beside this one (warm runner)
                    await client.create_global_concurrency_limit(
                        GlobalConcurrencyLimitCreate(name=name, limit=limit)
                    )
        _ensured.add(key)
    return name


@asynccontextmanager
async def host_deploy_slot(server: str) -> AsyncIterator[None]:
    """Hold one of ``server``'s deploy slots; a limit deleted since it was ensured is created again."""
    for attempt in (1, 2):
        name = await ensure_host_limit(server)
        acquired = False
        try:
            async with concurrency(name, occupy=1, strict=True):
                acquired = True
                yield
            return
        except ConcurrencySlotAcquisitionError:
            if acquired or attempt == 2:
                raise
            _ensured.discard((_api_url(), name))


_local_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Semaphore]] = (
    weakref.WeakKeyDictionary()
)


@asynccontextmanager
async def local_deploy_slot(server: str, limit: int = 2) -> AsyncIterator[None]:
    """Hold one of ``server``'s deploy slots in this process (no API call): for deploys a sync runs
    in its own process, where every deploy it starts on the host shares this one bound."""
    slots = _local_slots.setdefault(asyncio.get_running_loop(), {})
    async with slots.setdefault(server, asyncio.Semaphore(limit)):
        yield


async def ensure_reachable(host: HostConnection, policy: RetryPolicy = DEFAULT) -> None:
    """Ping the host's engine, retrying with backoff; an unreachable engine fails with a clear error.

    Only reachability is retried: a compose failure would fail the same way again.
    """

    def ping() -> None:
        with host.docker() as client:
            client.ping()

    delays = [*policy.delays(), None]
    for attempt, delay in enumerate(delays, start=1):
        try:
            await asyncio.to_thread(ping)
            return
        except Exception as exc:
            if delay is None:
                raise ComponentUnavailable(
                    f"Docker engine of {host.name} is unreachable after {attempt} attempts: "
                    f"{type(exc).__name__}: {exc}",
                    hint="Check that dockerd runs on the host and the agent's DOCKER_HOST points at it.",
                ) from exc
            get_run_logger().warning(
                "engine of %s unreachable (attempt %d), retrying in %.0f s", host.name, attempt, delay
            )
            await asyncio.sleep(delay * (1 + policy.jitter_factor * random.random()))  # noqa: S311


@fleet_task("deploy", NEVER)
async def deploy_on_host(
    host: HostConnection,
    spec: DeploySpec,
    *,
    force: bool = False,
    apply: bool = True,
    reason: str = "",
    local_slot: bool = False,
) -> DeployResult:
    """Deploy ``spec`` unless unchanged (``force`` deploys anyway, saying ``reason``; ``apply=False``
    only reports).

    Without ``force``, a ``reason`` (why it must deploy, found by the sync just before) skips the
    check for changes.
    ``local_slot`` (a sync's own deploys), or ``FLEETFLOW_PROCESS_DEPLOY_SLOTS=1`` (the warm agent,
    ``serve``): bound parallel deploys on the host in this process instead of with the Prefect
    global concurrency limit shared by every process (one API write, on SQLite often a 2 s retry).
    """
    logger = get_run_logger()
    history = StoreHistory(context.store())
    lines = LineBatcher(logger, f"[{spec.stack} @ {host.name}]")
    began = time.perf_counter()
    await ensure_reachable(host)
    reached = time.perf_counter()
    try:
        if not apply:
            reason = await why_deploy(host, spec, history.last_good(spec.stack))
            status = DeployStatus.SKIPPED
            why = f"pending (auto_update off): {reason}" if reason else "unchanged"
            return DeployResult(
                host=host.name,
                stack=spec.stack,
                project=spec.project_name,
                status=status,
                reason=why,
                commit=spec.commit,
            )
        in_process = local_slot or os.environ.get(PROCESS_DEPLOY_SLOTS) == "1"
        async with local_deploy_slot(host.name) if in_process else host_deploy_slot(host.name):
            slotted = time.perf_counter()
            if force or reason:
                why = (reason or "forced") if force else reason
                result = await deploy(host, spec, history, on_line=lines, reason=why)
            else:
                result = await deploy_if_changed(host, spec, history, on_line=lines)
        waits = {"reach": round(reached - began, 3), "slot": round(slotted - reached, 3)}
        return result.model_copy(update={"durations": {**waits, **result.durations}})
    finally:
        lines.flush()


@fleet_task("stack-action", NEVER)
async def action_on_host(host: HostConnection, project: str, action: Action) -> DeployResult:
    """Run ``action`` (start, stop, restart, pull, destroy, ...) on ``project``."""
    lines = LineBatcher(get_run_logger(), f"[{action.value} {project} @ {host.name}]")
    try:
        return await run_action(host, project, action, on_line=lines)
    finally:
        lines.flush()
