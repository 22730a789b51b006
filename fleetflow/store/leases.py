"""Leases: named locks with an owner and an expiry (e.g. one sync per repo at a time).

Every change of a lease inserts generation ``n + 1`` with ``_id`` ``name#n+1``:
two contenders for the same generation collide on the unique ``_id``, so
exactly one wins on every backend, without relying on atomic conditional
updates (which FerretDB v1 does not guarantee). Old generations are pruned.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from fleetflow.errors import LeaseHeldError
from fleetflow.store._base import StoreBase
from fleetflow.store.backend import DuplicateKey
from fleetflow.store.codec import from_db, to_db, utcnow
from fleetflow.store.models import LeaseRecord

_COLL = "leases"


class LeaseHeld(LeaseHeldError):
    """The lease is held by ``owner`` until ``expires``."""

    def __init__(self, name: str, owner: str, expires: datetime) -> None:
        super().__init__(
            f"lease {name!r} is held by {owner!r} until {expires.isoformat()}",
            hint="Another run is doing this work; wait for it, or for the lease to expire.",
        )
        self.name = name
        self.owner = owner
        self.expires = expires


def _lease(doc: dict[str, Any]) -> LeaseRecord:
    return LeaseRecord(
        name=doc["name"], owner=doc["owner"], generation=doc["generation"], expires=from_db(doc["expires"])
    )


class LeasesMixin(StoreBase):
    """acquire / renew / release / hold_lease."""

    def get_lease(self, name: str) -> LeaseRecord | None:
        """The lease's latest state (``owner`` None when free), or None if never taken."""
        docs = self._find(
            f"reading lease {name!r}", _COLL, {"name": name}, sort=[("generation", -1)], limit=1
        )
        return _lease(docs[0]) if docs else None

    def _next_generation(
        self, current: LeaseRecord | None, name: str, owner: str | None, ttl_s: float
    ) -> bool:
        generation = 1 if current is None else current.generation + 1
        now = utcnow()
        doc = {
            "_id": f"{name}#{generation}",
            "name": name,
            "owner": owner,
            "generation": generation,
            "expires": to_db(now + timedelta(seconds=ttl_s) if owner is not None else now),
        }
        try:
            self._backend.insert(f"writing lease {name!r}", _COLL, doc)
        except DuplicateKey:
            return False  # someone else moved the lease first
        if generation > 2:
            self._delete(
                f"pruning lease {name!r}",
                _COLL,
                {"name": name, "generation": {"$lt": generation - 1}},
                many=True,
            )
        return True

    def acquire_lease(self, name: str, owner: str, ttl_s: float) -> bool:
        """Take the lease for ``ttl_s`` seconds; False when someone else holds it."""
        current = self.get_lease(name)
        if current is not None and current.owner not in (None, owner) and current.expires > utcnow():
            return False
        return self._next_generation(current, name, owner, ttl_s)

    def renew_lease(self, name: str, owner: str, ttl_s: float) -> bool:
        """Extend a lease ``owner`` still holds (nobody took it since); False otherwise."""
        current = self.get_lease(name)
        if current is None or current.owner != owner:
            return False
        return self._next_generation(current, name, owner, ttl_s)

    def release_lease(self, name: str, owner: str) -> bool:
        """Give the lease up; False when ``owner`` did not hold it."""
        current = self.get_lease(name)
        if current is None or current.owner != owner:
            return False
        return self._next_generation(current, name, None, 0)

    @contextmanager
    def hold_lease(self, name: str, owner: str, ttl_s: float) -> Iterator[LeaseRecord]:
        """Hold the lease for the block; raise :class:`LeaseHeld` when another owner has it."""
        if not self.acquire_lease(name, owner, ttl_s):
            held = self.get_lease(name)
            holder = held.owner if held is not None and held.owner else "another owner"
            raise LeaseHeld(name, holder, held.expires if held is not None else utcnow())
        lease = self.get_lease(name)
        assert lease is not None
        try:
            yield lease
        finally:
            self.release_lease(name, owner)
