"""One Prefect process work pool per enabled server: ``host-<server>``.

Pools are created, updated and removed as ``servers.toml`` changes. Only pools
fleetflow created (marked in their description) are ever removed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from prefect.client.orchestration import PrefectClient
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.exceptions import ObjectNotFound

from fleetflow.agent import pool_name

POOL_PREFIX = "host-"
CORE_POOL = "fleetflow-core"
MARKER = "managed by fleetflow"


@dataclass
class PoolChanges:
    """What ``sync_work_pools`` did."""

    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


async def ensure_pool(client: PrefectClient, name: str, description: str) -> bool:
    """Create process pool ``name`` unless it exists; True when created."""
    try:
        await client.read_work_pool(name)
        return False
    except ObjectNotFound:
        await client.create_work_pool(
            WorkPoolCreate(name=name, type="process", description=f"{description} ({MARKER})")
        )
        return True


async def sync_work_pools(
    client: PrefectClient, servers: Iterable[str], *, remove_missing: bool = True
) -> PoolChanges:
    """Make the ``host-*`` pools match ``servers`` (plus the core pool)."""
    changes = PoolChanges()
    wanted = {pool_name(s): s for s in servers}
    await ensure_pool(client, CORE_POOL, "fleetflow core: polls, syncs, fleet health, backups")
    for name, server in sorted(wanted.items()):
        created = await ensure_pool(client, name, f"Docker host {server}")
        (changes.created if created else changes.kept).append(name)
    if remove_missing:
        for pool in await client.read_work_pools():
            managed = MARKER in (pool.description or "")
            if pool.name.startswith(POOL_PREFIX) and managed and pool.name not in wanted:
                await client.delete_work_pool(pool.name)
                changes.removed.append(pool.name)
    return changes


__all__ = ["CORE_POOL", "POOL_PREFIX", "PoolChanges", "ensure_pool", "pool_name", "sync_work_pools"]
