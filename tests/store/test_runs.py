"""Sync runs, repo cursors and webhook deliveries."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fleetflow.errors import StoreError
from fleetflow.store import StateStore, SyncOutcome

pytestmark = pytest.mark.mongo


def test_sync_run_lifecycle(store: StateStore) -> None:
    plan = [{"kind": "stack", "name": "web", "action": "update", "fields": {"config.image": ["a", "b"]}}]
    run_id = store.start_sync_run("homelab", "abc123", plan)
    started = store.get_sync_run(run_id)
    assert started is not None
    assert (started.outcome, started.plan, started.finished) == (SyncOutcome.RUNNING, plan, None)
    store.finish_sync_run(
        run_id, SyncOutcome.PARTIAL, {"web": "good", "db.v2": "failed"}, error="db.v2 failed"
    )
    done = store.get_sync_run(run_id)
    assert done is not None
    assert done.outcome is SyncOutcome.PARTIAL
    assert done.stacks == {"web": "good", "db.v2": "failed"}
    assert done.error == "db.v2 failed"
    assert done.finished is not None
    assert done.finished >= done.started


def test_sync_runs_newest_first_and_unknown_run(store: StateStore) -> None:
    ids = [store.start_sync_run("s", f"c{i}", []) for i in range(3)]
    store.start_sync_run("other", "x", [])
    assert {r.id for r in store.sync_runs("s", limit=10)} == set(ids)
    assert len(store.sync_runs("s", limit=2)) == 2
    with pytest.raises(StoreError, match="no sync run"):
        store.finish_sync_run("nope", SyncOutcome.FAILED, {})


def test_repo_cursor(store: StateStore) -> None:
    assert store.get_repo_cursor("infra", "main") is None
    store.set_repo_cursor("infra", "main", "c1")
    store.set_repo_cursor("infra", "main", "c2")
    store.set_repo_cursor("infra", "dev", "d1")
    cursor = store.get_repo_cursor("infra", "main")
    assert cursor is not None
    assert cursor.commit == "c2"
    dev = store.get_repo_cursor("infra", "dev")
    assert dev is not None
    assert dev.commit == "d1"


def test_webhook_dedupe_and_outcome(store: StateStore) -> None:
    received = datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    first, new = store.record_webhook("d-1", "github", "infra", "main", "c1", received)
    assert new
    assert first.received == received.replace(microsecond=678000)
    again, new_again = store.record_webhook("d-1", "github", "infra", "main", "c1", received)
    assert not new_again
    assert again == first
    store.update_webhook_outcome("d-1", "synced", run_id="r1")
    got = store.get_webhook("d-1")
    assert got is not None
    assert (got.outcome, got.run_id) == ("synced", "r1")
    assert store.get_webhook("d-2") is None
    with pytest.raises(StoreError, match="no webhook delivery"):
        store.update_webhook_outcome("d-2", "synced")
