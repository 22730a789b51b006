"""Alert candidates (what a round of rules finds) and events (what changed and was sent)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from fleetflow.store import Severity

FLEET = "fleet"
"""The host segment of keys for fleet-wide alerts (deploys, syncs, backups)."""

BACKUP_ALERT = "backup"
"""The alert backup-snapshot opens when a run fails and resolves after a good one."""
BACKUP_FAILED = "backup-snapshot failed: "
"""How that alert's message starts; the rest is the reason."""


def alert_key(host: str, rule: str, subject: str = "") -> str:
    """``health:<host>:<rule>[:<subject>]``: one open alert per key."""
    return f"health:{host}:{rule}" + (f":{subject}" if subject else "")


def owned_prefix(host: str) -> str:
    """Every key a round that evaluated ``host`` is authoritative for starts with this."""
    return f"health:{host}:"


class Candidate(BaseModel):
    """A condition that holds now and should have an open alert."""

    model_config = ConfigDict(frozen=True)

    key: str
    host: str
    severity: Severity
    message: str


class EventKind(StrEnum):
    OPENED = "opened"
    ESCALATED = "escalated"
    RESOLVED = "resolved"
    MUTED = "muted"


class AlertEvent(BaseModel):
    """One change of an alert and whether a notification went out for it."""

    model_config = ConfigDict(frozen=True)

    key: str
    kind: EventKind
    severity: Severity
    message: str
    notified: bool = Field(default=False, description="Sent to at least one apprise URL.")
