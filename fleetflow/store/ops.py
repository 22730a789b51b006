"""Alerts, API tokens and the audit log."""

from __future__ import annotations

from contextlib import suppress
from datetime import timedelta
from secrets import token_hex
from typing import Any

from fleetflow.store._base import StoreBase, new_id, strip_id
from fleetflow.store.backend import DuplicateKey
from fleetflow.store.codec import decode, encode, from_db, to_db, truncate, utcnow
from fleetflow.store.models import AlertRecord, AuditRecord, Severity, TokenRecord
from fleetflow.store.schema import META


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


AUDIT_TEXT_MAX = 256
"""Longest action or target (request path) an audit record keeps."""
MAX_EXPIRING_AUDIT = 10_000
"""Failed-auth audit records kept at most (each also expires)."""
PURGE_EVERY = 100


class OpsMixin(StoreBase):
    """Open alerts (one per dedup key), alert history, tokens, audit."""

    _expiring_audits = 0

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

    def token_key(self) -> bytes:
        """The server key API token hashes are made with: random, created on first use, kept here."""
        what = "reading the token key"
        doc = self._find_one(what, META, {"_id": "token_key"})
        if doc is None:
            fresh = {"_id": "token_key", "key": token_hex(32)}
            with suppress(DuplicateKey):  # another process created it first: use theirs
                self._backend.insert("creating the token key", META, fresh)
            doc = self._find_one(what, META, {"_id": "token_key"})
        assert doc is not None
        return bytes.fromhex(str(doc["key"]))

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

    def audit(self, record: AuditRecord, *, expire_after: timedelta | None = None) -> AuditRecord:
        """Append to the audit log (acknowledged); return the record with its time.

        Text from a request is cut to :data:`AUDIT_TEXT_MAX` characters. Records with
        ``expire_after`` (failed authentications) carry ``expires_at``: MongoDB drops them
        through a TTL index, and every store purges expired ones and keeps at most
        :data:`MAX_EXPIRING_AUDIT` of them, so a flood of bad requests cannot grow the log.
        """
        stamped = record.model_copy(
            update={
                "at": truncate(record.at) if record.at else utcnow(),
                "action": record.action[:AUDIT_TEXT_MAX],
                "target": record.target[:AUDIT_TEXT_MAX],
            }
        )
        doc = {"_id": new_id(), **stamped.model_dump(), "detail": encode(record.detail)}
        doc["at"] = to_db(doc["at"])
        if expire_after is not None:
            doc["expires_at"] = to_db(utcnow() + expire_after)
        self._backend.insert(f"auditing {stamped.action!r}", "audit", doc)
        if expire_after is not None:
            self._expiring_audits += 1
            if (self._expiring_audits - 1) % PURGE_EVERY == 0:
                self.purge_audit()
        return stamped

    def purge_audit(self) -> int:
        """Drop expired failed-auth records and the oldest beyond the cap; return how many went."""
        gone = self._delete(
            "purging expired audit records", "audit", {"expires_at": {"$lt": to_db(utcnow())}}, many=True
        )
        expiring = self._find(
            "counting failed-auth audit records",
            "audit",
            {"expires_at": {"$ne": None}},
            sort=[("at", -1)],
            projection={"_id": 1},
        )
        for doc in expiring[MAX_EXPIRING_AUDIT:]:
            gone += self._delete("capping failed-auth audit records", "audit", {"_id": doc["_id"]})
        return gone

    def audit_log(self, limit: int = 100) -> list[AuditRecord]:
        """The latest audit records, newest first."""
        docs = self._find("reading the audit log", "audit", {}, sort=[("at", -1)], limit=limit)
        return [
            AuditRecord(
                **{k: v for k, v in strip_id(d).items() if k not in ("expires_at", "detail", "at")},
                detail=decode(d["detail"]),
                at=from_db(d["at"]),
            )
            for d in docs
        ]
