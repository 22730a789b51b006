"""Tasks that act on a host: deploy one stack, run a stack action, read what runs."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from prefect import get_client, get_run_logger
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.concurrency.asyncio import ConcurrencySlotAcquisitionError, concurrency
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

from fleetflow.deploy import Action, DeployResult, DeploySpec, deploy, deploy_if_changed, run_action
from fleetflow.deploy.changes import why_deploy
from fleetflow.deploy.models import DeployStatus
from fleetflow.errors import ComponentUnavailable
from fleetflow.hosts.base import HostConnection
from fleetflow.runtime import context
from fleetflow.runtime.history import StoreHistory
from tasks.logs import LineBatcher
from tasks.policy import DEFAULT, NEVER, RetryPolicy, fleet_task


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
    host: HostConnection, spec: DeploySpec, *, force: bool = False, apply: bool = True
) -> DeployResult:
    """Deploy ``spec`` unless unchanged (``force`` deploys anyway; ``apply=False`` only reports)."""
    logger = get_run_logger()
    history = StoreHistory(context.store())
    lines = LineBatcher(logger, f"[{spec.stack} @ {host.name}]")
    await ensure_reachable(host)
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
        async with host_deploy_slot(host.name):
            if force:
                return await deploy(host, spec, history, on_line=lines, reason="forced")
            return await deploy_if_changed(host, spec, history, on_line=lines)
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
