"""Leases: one holder at a time, expiry, renew, release, hold_lease."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from fleetflow.errors import LeaseHeldError
from fleetflow.store import LeaseHeld, StateStore
from tests.store.conftest import StoreFactory

pytestmark = pytest.mark.mongo


def test_acquire_is_exclusive_until_release(store: StateStore) -> None:
    assert store.acquire_lease("sync:infra", "a", ttl_s=60)
    assert not store.acquire_lease("sync:infra", "b", ttl_s=60)
    assert store.acquire_lease("sync:infra", "a", ttl_s=60)  # re-entrant for the owner
    assert not store.release_lease("sync:infra", "b")
    assert store.release_lease("sync:infra", "a")
    assert store.acquire_lease("sync:infra", "b", ttl_s=60)
    lease = store.get_lease("sync:infra")
    assert lease is not None
    assert lease.owner == "b"


def test_expired_lease_can_be_taken_and_old_owner_cannot_renew(store: StateStore) -> None:
    assert store.acquire_lease("x", "a", ttl_s=0.05)
    time.sleep(0.1)
    assert store.acquire_lease("x", "b", ttl_s=60)
    assert not store.renew_lease("x", "a", ttl_s=60)
    assert store.renew_lease("x", "b", ttl_s=120)


def test_hold_lease_raises_with_owner_and_releases(store: StateStore) -> None:
    with store.hold_lease("sync:infra", "run-1", ttl_s=60) as lease:
        assert lease.owner == "run-1"
        with (
            pytest.raises(LeaseHeldError, match="run-1") as info,
            store.hold_lease("sync:infra", "run-2", 60),
        ):
            pass
        assert isinstance(info.value, LeaseHeld)
        assert info.value.owner == "run-1"
        assert info.value.expires == lease.expires
    after = store.get_lease("sync:infra")
    assert after is not None
    assert after.owner is None


def test_concurrent_acquire_exactly_one_wins(store_factory: StoreFactory) -> None:
    stores = [store_factory() for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        won = list(pool.map(lambda i: stores[i].acquire_lease("race", f"o{i}", ttl_s=60), range(4)))
    assert won.count(True) == 1
    lease = stores[0].get_lease("race")
    assert lease is not None
    assert lease.owner == f"o{won.index(True)}"
