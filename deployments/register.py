"""Register fleetflow on a Prefect server: pools per host, deployments, schedules, automation.

Flow code is the installed package (module entrypoints such as
``flows.deploy_stack.deploy_stack``), so agents need no clone of fleetflow.
Called by ``fleetflow deploy`` and, for servers added in git, by every
``sync-resources`` run that fans out to host pools.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from uuid import UUID

from prefect import get_client
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy

from deployments.serve import BACKUP_CRON
from fleetflow.resources import SYNC_POLL_INTERVAL_SECONDS
from fleetflow.runtime import names
from fleetflow.runtime.pools import CORE_POOL, ensure_pool
from flows.register_hosts import ENTRY, Registration, register_host, register_hosts

__all__ = ["Registration", "deployment_ids", "ensure_fleet", "register_core", "register_host"]


async def register_core(
    repo: str,
    *,
    sync_name: str,
    branch: str = "main",
    resource_paths: Sequence[str] = (),
    poll_seconds: int = SYNC_POLL_INTERVAL_SECONDS,
) -> list[str]:
    """``poll-repo/<sync>`` (scheduled, one at a time) and ``sync-resources/<sync>`` on the core pool."""
    from flows.backup_snapshot import backup_snapshot
    from flows.health_check import health_check
    from flows.poll_repo import poll_repo
    from flows.sync_resources import sync_resources

    async with get_client() as client:
        await ensure_pool(client, CORE_POOL, "fleetflow core: polls, syncs, fleet health, backups")
    params = {"repo": repo, "branch": branch, "resource_paths": list(resource_paths), "sync_name": sync_name}
    poll = await poll_repo.ato_deployment(
        name=sync_name,
        work_pool_name=CORE_POOL,
        entrypoint_type=ENTRY,
        parameters={**params, "fan_out": "deployments"},
        interval=timedelta(seconds=poll_seconds),
        concurrency_limit=ConcurrencyLimitConfig(
            limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW
        ),
        tags=[f"sync:{sync_name}"],
        description=f"poll {sync_name} every {poll_seconds} s; a run while one is in flight is cancelled",
    )
    sync = await sync_resources.ato_deployment(
        name=sync_name,
        work_pool_name=CORE_POOL,
        entrypoint_type=ENTRY,
        parameters={**params, "fan_out": "deployments"},
        concurrency_limit=1,
        tags=[f"sync:{sync_name}"],
        description=f"apply {sync_name} now (UI, API, webhook)",
    )
    health = await health_check.ato_deployment(
        name="fleet",
        work_pool_name=CORE_POOL,
        entrypoint_type=ENTRY,
        parameters={"repo": repo, "branch": branch},
        interval=timedelta(minutes=1),
        concurrency_limit=ConcurrencyLimitConfig(
            limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW
        ),
        description="fleet health every minute: facts, drift, image updates, alerts",
    )
    backup = await backup_snapshot.ato_deployment(
        name="daily",
        work_pool_name=CORE_POOL,
        entrypoint_type=ENTRY,
        cron=BACKUP_CRON,
        concurrency_limit=1,
        description="Mongo dumps, retention, Kopia snapshot",
    )
    for deployment in (poll, sync, health, backup):
        await deployment.aapply()
    return [names.poll_repo(sync_name), names.sync_resources(sync_name), names.FLEET_HEALTH, names.BACKUP]


async def ensure_fleet(servers: Iterable[str], *, remove_missing: bool = False) -> Registration:
    """Pools and per-host deployments for ``servers`` (see :func:`flows.register_hosts.register_hosts`)."""
    return await register_hosts(servers, remove_missing=remove_missing)


async def deployment_ids(full_names: Iterable[str]) -> dict[str, UUID]:
    """Ids of registered deployments by full name (missing ones left out)."""
    found: dict[str, UUID] = {}
    async with get_client() as client:
        for full in full_names:
            try:
                found[full] = (await client.read_deployment_by_name(full)).id
            except Exception:  # noqa: S112 - absent deployments are simply not reported
                continue
    return found
