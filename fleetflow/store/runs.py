"""Sync runs, repo cursors and webhook deliveries: what fed the syncs and what they did."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from fleetflow.errors import StoreError
from fleetflow.store._base import StoreBase, new_id, pairs, strip_id, unpairs
from fleetflow.store.backend import DuplicateKey
from fleetflow.store.codec import decode, encode, from_db, to_db, utcnow
from fleetflow.store.models import RepoCursor, SyncOutcome, SyncRunRecord, WebhookRecord


def _sync_run(doc: dict[str, Any]) -> SyncRunRecord:
    return SyncRunRecord(
        id=doc["_id"],
        sync=doc["sync"],
        commit=doc["commit"],
        plan=decode(doc["plan"]),
        started=from_db(doc["started"]),
        finished=from_db(doc.get("finished")),
        outcome=SyncOutcome(doc["outcome"]),
        stacks=unpairs(doc.get("stacks", [])),
        error=doc.get("error"),
    )


def _webhook(doc: dict[str, Any]) -> WebhookRecord:
    fields = strip_id(doc)
    return WebhookRecord(delivery_id=doc["_id"], **{**fields, "received": from_db(doc["received"])})


class RunsMixin(StoreBase):
    """Sync runs, repo cursors, webhook deliveries."""

    def start_sync_run(self, sync: str, commit: str, plan_rows: Sequence[Mapping[str, Any]]) -> str:
        """Record that a sync started applying ``plan_rows``; return the run id."""
        run_id = new_id()
        doc = {
            "_id": run_id,
            "sync": sync,
            "commit": commit,
            "plan": encode([dict(row) for row in plan_rows]),
            "started": to_db(utcnow()),
            "finished": None,
            "outcome": SyncOutcome.RUNNING.value,
            "stacks": [],
            "error": None,
        }
        self._backend.insert(f"starting sync run of {sync!r}", "sync_runs", doc)
        return run_id

    def finish_sync_run(
        self, run_id: str, outcome: SyncOutcome, stacks: Mapping[str, str], error: str | None = None
    ) -> None:
        """Record how a sync run ended and what happened to each stack."""
        update = {
            "finished": to_db(utcnow()),
            "outcome": SyncOutcome(outcome).value,
            "stacks": pairs({k: str(v) for k, v in stacks.items()}),
            "error": error,
        }
        if not self._update(f"finishing sync run {run_id}", "sync_runs", {"_id": run_id}, {"$set": update}):
            raise StoreError(f"no sync run {run_id!r} in state DB {self._backend.where}")

    def get_sync_run(self, run_id: str) -> SyncRunRecord | None:
        """One sync run by id."""
        doc = self._find_one(f"reading sync run {run_id}", "sync_runs", {"_id": run_id})
        return None if doc is None else _sync_run(doc)

    def sync_runs(self, sync: str, limit: int = 20) -> list[SyncRunRecord]:
        """The latest runs of one sync, newest first."""
        docs = self._find(
            f"listing runs of {sync!r}", "sync_runs", {"sync": sync}, sort=[("started", -1)], limit=limit
        )
        return [_sync_run(d) for d in docs]

    def get_repo_cursor(self, repo: str, branch: str) -> RepoCursor | None:
        """The last commit seen on ``repo`` at ``branch``, or None."""
        doc = self._find_one(f"reading cursor {repo}@{branch}", "repo_cursors", {"_id": f"{repo}@{branch}"})
        if doc is None:
            return None
        return RepoCursor(repo=repo, branch=branch, commit=doc["commit"], updated=from_db(doc["updated"]))

    def set_repo_cursor(self, repo: str, branch: str, commit: str) -> None:
        """Remember ``commit`` as the last seen on ``repo`` at ``branch``."""
        doc = {"_id": f"{repo}@{branch}", "repo": repo, "branch": branch, "commit": commit}
        self._replace(f"writing cursor {repo}@{branch}", "repo_cursors", {**doc, "updated": to_db(utcnow())})

    def record_webhook(
        self, delivery_id: str, provider: str, repo: str, branch: str, commit: str, received: datetime
    ) -> tuple[WebhookRecord, bool]:
        """Record a delivery; return it and whether it is new (False: a duplicate delivery)."""
        doc = {
            "_id": delivery_id,
            "provider": provider,
            "repo": repo,
            "branch": branch,
            "commit": commit,
            "received": to_db(received),
            "outcome": None,
            "run_id": None,
        }
        try:
            self._backend.insert(f"recording webhook {delivery_id!r}", "webhooks", doc)
        except DuplicateKey:
            existing = self.get_webhook(delivery_id)
            assert existing is not None
            return existing, False
        return _webhook(doc), True

    def update_webhook_outcome(self, delivery_id: str, outcome: str, run_id: str | None = None) -> None:
        """Note what a delivery caused (e.g. "synced", "ignored: branch")."""
        update = {"$set": {"outcome": outcome, "run_id": run_id}}
        if not self._update(f"updating webhook {delivery_id!r}", "webhooks", {"_id": delivery_id}, update):
            raise StoreError(f"no webhook delivery {delivery_id!r} in state DB {self._backend.where}")

    def get_webhook(self, delivery_id: str) -> WebhookRecord | None:
        """One delivery by id."""
        doc = self._find_one(f"reading webhook {delivery_id!r}", "webhooks", {"_id": delivery_id})
        return None if doc is None else _webhook(doc)
