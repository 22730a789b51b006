"""Alerts, tokens, audit, and the no-secret scan."""

from __future__ import annotations

import pytest

from fleetflow.store import AuditRecord, Severity, StateStore

pytestmark = pytest.mark.mongo


def test_alert_dedupe_resolve_reopen(store: StateStore) -> None:
    first, new = store.open_alert("disk:host1", Severity.WARNING, "disk 80%")
    assert new
    assert first.count == 1
    bumped, new = store.open_alert("disk:host1", Severity.CRITICAL, "disk 97%")
    assert not new
    assert (bumped.count, bumped.severity, bumped.message) == (2, Severity.CRITICAL, "disk 97%")
    store.open_alert("cpu:host2", Severity.INFO, "cpu")
    assert [a.dedup_key for a in store.open_alerts()] == ["disk:host1", "cpu:host2"]
    resolved = store.resolve_alert("disk:host1")
    assert resolved is not None
    assert resolved.resolved is not None
    assert store.resolve_alert("disk:host1") is None
    assert [a.dedup_key for a in store.open_alerts()] == ["cpu:host2"]
    _, new = store.open_alert("disk:host1", Severity.WARNING, "again")
    assert new


def test_tokens(store: StateStore) -> None:
    store.put_token("ci", "deployer", "salt$hash1")
    store.put_token("admin", "admin", "salt$hash2")
    assert [(t.name, t.role) for t in store.get_tokens()] == [("admin", "admin"), ("ci", "deployer")]
    assert store.touch_token("ci")
    assert not store.touch_token("nope")
    ci = next(t for t in store.get_tokens() if t.name == "ci")
    assert ci.last_used is not None
    assert store.delete_token("ci")
    assert not store.delete_token("ci")
    assert [t.name for t in store.get_tokens()] == ["admin"]


def test_audit_log_newest_first(store: StateStore) -> None:
    store.audit(AuditRecord(action="deploy", actor="cli", target="web", detail={"a.b": 1}))
    second = store.audit(AuditRecord(action="token.create", actor="admin", target="ci"))
    assert second.at is not None
    log = store.audit_log(limit=10)
    assert [r.action for r in log] == ["token.create", "deploy"]
    assert log[1].detail == {"a.b": 1}


def test_contains_text_scans_every_collection(store: StateStore) -> None:
    store.put_resource("variable", "db_password", {"is_secret": True}, "c1", expected_revision=0)
    store.record_health("host1", {"labels": {"note": ["deep", {"x": "needle-in-a-haystack"}]}})
    assert store.contains_text("needle-in-a")
    assert store.contains_text("db_password")
    assert not store.contains_text("s3cr3t-value")
    with pytest.raises(ValueError, match="non-empty"):
        store.contains_text("")
