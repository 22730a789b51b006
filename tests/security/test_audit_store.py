"""Finding 5 on the real stores (FerretDB and embedded): audit text is cut to 256 characters and
failed-auth records are purged when expired and capped; the token key is created once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fleetflow.api import Role, TokenVerifier, create_token
from fleetflow.store import AuditRecord, StateStore
from fleetflow.store import ops as store_ops
from tests.store.conftest import StoreFactory, backend_name, store, store_factory

__all__ = ["backend_name", "store", "store_factory"]
pytestmark = pytest.mark.mongo


def test_failed_auth_audit_is_short_capped_and_expires(
    store: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_ops, "MAX_EXPIRING_AUDIT", 4)
    monkeypatch.setattr(store_ops, "PURGE_EVERY", 1)
    store.audit(AuditRecord(action="api GET /api/stacks", actor="ci", target="/api/stacks"))
    for i in range(10):
        record = AuditRecord(action="api GET /x", actor="-", target=f"/api/{i}" + "x" * 60_000)
        store.audit(record, expire_after=timedelta(days=1))
    kept = store.audit_log(limit=100)
    assert len(kept) == 1 + 4
    assert all(len(r.target) <= 256 for r in kept)
    assert any(r.actor == "ci" for r in kept), "authenticated records never expire"
    monkeypatch.setattr(store_ops, "PURGE_EVERY", 1000)
    store.audit(AuditRecord(action="a", actor="-", target="/expired"), expire_after=timedelta(seconds=-1))
    assert "/expired" in {r.target for r in store.audit_log(limit=100)}
    assert store.purge_audit() >= 1
    left = store.audit_log(limit=100)
    assert "/expired" not in {r.target for r in left}
    assert [r.actor for r in left].count("ci") == 1


def test_token_key_is_created_once_and_shared(store_factory: StoreFactory) -> None:
    first, second = store_factory(), store_factory()
    assert first.token_key() == second.token_key()
    token = create_token(first, "ci", Role.VIEWER)
    assert TokenVerifier(second).verify(token) == ("ci", Role.VIEWER)
