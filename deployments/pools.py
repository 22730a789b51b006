"""Work pools: they live in :mod:`fleetflow.runtime.pools` (a lower layer, used by flows too)."""

from __future__ import annotations

from fleetflow.runtime.pools import CORE_POOL, MARKER, POOL_PREFIX, PoolChanges, ensure_pool, sync_work_pools

__all__ = ["CORE_POOL", "MARKER", "POOL_PREFIX", "PoolChanges", "ensure_pool", "sync_work_pools"]
