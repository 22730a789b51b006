"""Tasks that act on a host: deploy one stack, run a stack action, read what runs."""

from __future__ import annotations

import asyncio

from prefect import get_client, get_run_logger
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.concurrency.asyncio import concurrency
from prefect.exceptions import ObjectNotFound

from fleetflow.deploy import Action, DeployResult, DeploySpec, deploy, deploy_if_changed, run_action
from fleetflow.deploy.changes import why_deploy
from fleetflow.deploy.models import DeployStatus
from fleetflow.errors import ComponentUnavailable
from fleetflow.hosts.base import HostConnection
from fleetflow.runtime import context
from fleetflow.runtime.history import StoreHistory
from tasks.logs import LineBatcher
from tasks.policy import DEFAULT, DEPLOY, fleet_task


def host_limit(server: str) -> str:
    """Name of the global concurrency limit bounding parallel deploys on ``server``."""
    return f"deploys-{server}"


_ensured: set[str] = set()


async def ensure_host_limit(server: str, limit: int = 2) -> str:
    """Create the per-host deploy concurrency limit once (default 2 deploys at a time per host)."""
    name = host_limit(server)
    if name not in _ensured:
        async with get_client() as client:
            try:
                await client.read_global_concurrency_limit_by_name(name)
            except ObjectNotFound:
                await client.create_global_concurrency_limit(
                    GlobalConcurrencyLimitCreate(name=name, limit=limit)
                )
        _ensured.add(name)
    return name


def _retry_unreachable(task: object, run: object, state: object) -> bool:
    """Retry only when the host could not be reached; a failed compose will fail again."""
    try:
        state.result()  # type: ignore[attr-defined]
    except ComponentUnavailable:
        return True
    except Exception:
        return False
    return False


async def ensure_reachable(host: HostConnection) -> None:
    """Ping the host's engine; an unreachable engine is retried, a failing compose is not."""

    def ping() -> None:
        with host.docker() as client:
            client.ping()

    try:
        await asyncio.to_thread(ping)
    except Exception as exc:
        raise ComponentUnavailable(
            f"Docker engine of {host.name} is unreachable: {type(exc).__name__}: {exc}",
            hint="Check that dockerd runs on the host and the agent's DOCKER_HOST points at it.",
        ) from exc


@fleet_task("deploy", DEPLOY, retry_condition_fn=_retry_unreachable)
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
        async with concurrency(await ensure_host_limit(host.name), occupy=1, strict=True):
            if force:
                return await deploy(host, spec, history, on_line=lines, reason="forced")
            return await deploy_if_changed(host, spec, history, on_line=lines)
    finally:
        lines.flush()


@fleet_task("stack-action", DEFAULT, retry_condition_fn=_retry_unreachable)
async def action_on_host(host: HostConnection, project: str, action: Action) -> DeployResult:
    """Run ``action`` (start, stop, restart, pull, destroy, ...) on ``project``."""
    lines = LineBatcher(get_run_logger(), f"[{action.value} {project} @ {host.name}]")
    try:
        return await run_action(host, project, action, on_line=lines)
    finally:
        lines.flush()
