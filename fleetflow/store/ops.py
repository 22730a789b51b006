"""Alerts, API tokens and the audit log."""

from __future__ import annotations

from typing import Any

from fleetflow.store._base import StoreBase, new_id, strip_id
from fleetflow.store.backend import DuplicateKey
from fleetflow.store.codec import decode, encode, from_db, to_db, truncate, utcnow
from fleetflow.store.models import AlertRecord, AuditRecord, Severity, TokenRecord


def _alert(doc: dict[str, Any]) -> AlertRecord:
    return AlertRecord(
        dedup_key=doc["dedup_key"],
        severity=Severity(doc["severity"]),
        message=doc["message"],
        count=doc["count"],
        opened=from_db(doc["opened"]),
        last_seen=from_db(doc["last_seen"]),
        resolved=from_db(doc.get("resolved")),
    )


def _token(doc: dict[str, Any]) -> TokenRecord:
    return TokenRecord(
        name=doc["_id"],
        role=doc["role"],
        salted_hash=doc["salted_hash"],
        created=from_db(doc["created"]),
        last_used=from_db(doc.get("last_used")),
    )


class OpsMixin(StoreBase):
    """Open alerts (one per dedup key), alert history, tokens, audit."""

    def open_alert(self, dedup_key: str, severity: Severity, message: str) -> tuple[AlertRecord, bool]:
        """Open an alert, or bump the open one with that key; return it and whether it is new."""
        now = to_db(utcnow())
        doc = {
            "_id": dedup_key,
            "dedup_key": dedup_key,
            "severity": Severity(severity).value,
            "message": message,
            "opened": now,
            "last_seen": now,
            "count": 1,
        }
        try:
            self._backend.insert(f"opening alert {dedup_key!r}", "alerts", doc)
            return _alert(doc), True
        except DuplicateKey:
            update = {"$set": {"severity": doc["severity"], "message": message, "last_seen": now}}
            self._update(
                f"bumping alert {dedup_key!r}", "alerts", {"_id": dedup_key}, {**update, "$inc": {"count": 1}}
            )
        current = self._find_one(f"reading alert {dedup_key!r}", "alerts", {"_id": dedup_key})
        if current is None:  # resolved in between: open it afresh
            return self.open_alert(dedup_key, severity, message)
        return _alert(current), False

    def resolve_alert(self, dedup_key: str) -> AlertRecord | None:
        """Close the open alert with that key (kept in history); None when none was open."""
        doc = self._find_one(f"reading alert {dedup_key!r}", "alerts", {"_id": dedup_key})
        if doc is None:
            return None
        closed = {**doc, "_id": new_id(), "resolved": to_db(utcnow())}
        self._backend.insert(f"archiving alert {dedup_key!r}", "alert_history", closed)
        self._delete(f"closing alert {dedup_key!r}", "alerts", {"_id": dedup_key})
        return _alert(closed)

    def open_alerts(self) -> list[AlertRecord]:
        """Every open alert, oldest first."""
        return [_alert(d) for d in self._find("listing open alerts", "alerts", {}, sort=[("opened", 1)])]

    def put_token(self, name: str, role: str, salted_hash: str) -> TokenRecord:
        """Create or replace an API token (only its salted hash is stored)."""
        doc = {
            "_id": name,
            "role": role,
            "salted_hash": salted_hash,
            "created": to_db(utcnow()),
            "last_used": None,
        }
        self._replace(f"writing token {name!r}", "tokens", doc)
        return _token(doc)

    def get_tokens(self) -> list[TokenRecord]:
        """Every API token, by name."""
        return [_token(d) for d in self._find("listing tokens", "tokens", {}, sort=[("_id", 1)])]

    def touch_token(self, name: str) -> bool:
        """Note that a token was just used; False when it does not exist."""
        update = {"$set": {"last_used": to_db(utcnow())}}
        return bool(self._update(f"touching token {name!r}", "tokens", {"_id": name}, update))

    def delete_token(self, name: str) -> bool:
        """Remove a token; False when it did not exist."""
        return bool(self._delete(f"deleting token {name!r}", "tokens", {"_id": name}))

    def audit(self, record: AuditRecord) -> AuditRecord:
        """Append to the audit log (acknowledged); return the record with its time."""
        stamped = record.model_copy(update={"at": truncate(record.at) if record.at else utcnow()})
        doc = {"_id": new_id(), **stamped.model_dump(), "detail": encode(record.detail)}
        self._backend.insert(f"auditing {record.action!r}", "audit", {**doc, "at": to_db(doc["at"])})
        return stamped

    def audit_log(self, limit: int = 100) -> list[AuditRecord]:
        """The latest audit records, newest first."""
        docs = self._find("reading the audit log", "audit", {}, sort=[("at", -1)], limit=limit)
        return [
            AuditRecord(**{**strip_id(d), "detail": decode(d["detail"]), "at": from_db(d["at"])})
            for d in docs
        ]
