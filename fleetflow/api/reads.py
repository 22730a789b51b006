"""Fleet-wide reads the metrics need in one query each.

The store has per-stack reads (``deploy_history``), which cost one query per
stack: 300 stacks took 15 s (embedded) to 36 s (FerretDB) per scrape. Until
the store offers ``deploys_since(since)``, this reads the deployments
collection once through the store's own query helper, projecting only the
fields the metrics use. A store that has ``deploys_since`` is used as is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from fleetflow.store import DeployStatus, StateStore
from fleetflow.store.codec import from_db, to_db


class DeployTiming(BaseModel):
    """How one deploy ended and how long it took."""

    model_config = ConfigDict(frozen=True)

    status: DeployStatus
    started: datetime
    finished: datetime

    @property
    def seconds(self) -> float:
        return max(0.0, (self.finished - self.started).total_seconds())


def deploys_since(store: StateStore, since: datetime) -> list[DeployTiming]:
    """Every deploy that finished at or after ``since`` (one query)."""
    public = getattr(store, "deploys_since", None)
    if callable(public):
        return [DeployTiming(status=d.status, started=d.started, finished=d.finished) for d in public(since)]
    docs: list[dict[str, Any]] = store._find(  # the store's helper: errors converted, lock held
        "reading recent deploys",
        "deployments",
        {"finished": {"$gte": to_db(since)}},
        projection={"status": 1, "started": 1, "finished": 1},
    )
    return [
        DeployTiming(
            status=DeployStatus(d["status"]), started=from_db(d["started"]), finished=from_db(d["finished"])
        )
        for d in docs
    ]
