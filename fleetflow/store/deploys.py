"""Deploy records and health samples: what ran where, and how the hosts are.

``last_good`` keeps one document per stack (its newest good deploy), so "last
good deploy per stack" is one small read on every backend: FerretDB v1 has no
``$first`` in ``$group`` and montydb no aggregation at all. The deployment
record is written first; if the process dies before ``last_good`` is updated,
the stack merely looks changed and is redeployed (the safe direction).
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from fleetflow.store._base import StoreBase, new_id, pairs, unpairs
from fleetflow.store.codec import decode, encode, from_db, to_db, utcnow
from fleetflow.store.models import DeployRecord, DeployStatus, HealthSample

PURGE_EVERY = 200  # health writes between purges when the DB has no TTL index


def _deploy(doc: dict[str, Any]) -> DeployRecord:
    return DeployRecord(
        id=doc["id"],
        stack=doc["stack"],
        server=doc["server"],
        commit=doc["commit"],
        fingerprint=doc["fingerprint"],
        status=DeployStatus(doc["status"]),
        started=from_db(doc["started"]),
        finished=from_db(doc["finished"]),
        services=decode(unpairs(doc["services"])),
        summary=doc["summary"],
    )


class DeploysMixin(StoreBase):
    """Deploy history, last good deploys, health samples."""

    _health_ttl_index: bool = False
    _health_retention: timedelta = timedelta(days=7)
    _health_writes: int = 0

    def record_deploy(
        self,
        stack: str,
        server: str,
        commit: str,
        fingerprint: str,
        status: DeployStatus,
        started: datetime,
        finished: datetime,
        services: dict[str, Any],
        summary: str,
    ) -> DeployRecord:
        """Record one deploy (acknowledged); a good one becomes the stack's last good deploy."""
        record_id = new_id()
        doc = {
            "_id": record_id,
            "id": record_id,
            "stack": stack,
            "server": server,
            "commit": commit,
            "fingerprint": fingerprint,
            "status": DeployStatus(status).value,
            "started": to_db(started),
            "finished": to_db(finished),
            "services": pairs(encode(services)),
            "summary": summary,
        }
        self._backend.insert(f"recording a deploy of {stack!r}", "deployments", doc)
        if doc["status"] == DeployStatus.GOOD.value:
            self._set_last_good(stack, doc)
        return _deploy(doc)

    def _set_last_good(self, stack: str, doc: dict[str, Any]) -> None:
        """Replace the stack's last good deploy unless a newer one is there.

        Read then replace by ``_id`` (FerretDB pushes ``_id`` lookups down; a
        filtered upsert scans). A racing older write can win: the stack then
        looks changed and is redeployed, never skipped.
        """
        current = self._find_one(f"reading last good deploy of {stack!r}", "last_good", {"_id": stack})
        if current is None or current["finished"] <= doc["finished"]:
            self._replace(f"recording last good deploy of {stack!r}", "last_good", {**doc, "_id": stack})

    def last_good_deploy(self, stack: str) -> DeployRecord | None:
        """The stack's newest good deploy, or None."""
        doc = self._find_one(f"reading last good deploy of {stack!r}", "last_good", {"_id": stack})
        return None if doc is None else _deploy(doc)

    def last_good_deploys(self) -> dict[str, DeployRecord]:
        """Every stack's newest good deploy, by stack name."""
        return {d["stack"]: _deploy(d) for d in self._find("reading last good deploys", "last_good", {})}

    def deploy_history(self, stack: str, limit: int = 20) -> list[DeployRecord]:
        """The stack's deploys, newest first."""
        docs = self._find(
            f"reading deploy history of {stack!r}",
            "deployments",
            {"stack": stack},
            sort=[("finished", -1)],
            limit=limit,
        )
        return [_deploy(d) for d in docs]

    def record_health(self, host: str, facts: dict[str, Any]) -> HealthSample:
        """Store one sample of host facts (old samples expire after the retention)."""
        sample = HealthSample(host=host, at=utcnow(), facts=facts)
        # "seq" orders samples taken within one millisecond (the precision of a BSON date)
        doc = {
            "_id": new_id(),
            "host": host,
            "at": to_db(sample.at),
            "seq": time.time_ns(),
            "facts": encode(facts),
        }
        self._backend.insert(f"recording health of {host!r}", "health", doc)
        self._health_writes += 1
        if not self._health_ttl_index and self._health_writes % PURGE_EVERY == 0:
            self.purge_health(self._health_retention)
        return sample

    def latest_health(self, host: str) -> HealthSample | None:
        """The newest sample of ``host``."""
        docs = self._find(
            f"reading health of {host!r}", "health", {"host": host}, sort=[("at", -1), ("seq", -1)], limit=1
        )
        if not docs:
            return None
        doc = docs[0]
        return HealthSample(host=host, at=from_db(doc["at"]), facts=decode(doc["facts"]))

    def purge_health(self, older_than: timedelta) -> int:
        """Delete samples older than ``older_than``; return how many went."""
        cutoff = to_db(utcnow() - older_than)
        return self._delete("purging health samples", "health", {"at": {"$lt": cutoff}}, many=True)
