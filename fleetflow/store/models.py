"""What the state store returns: frozen records, one per idea, and the policy enums."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class DeployStatus(StrEnum):
    """How a deploy of one stack ended."""

    GOOD = "good"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"
    SKIPPED = "skipped"


class SyncOutcome(StrEnum):
    """Where a sync run is, or how it ended."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"
    FAILED = "failed"


class Severity(StrEnum):
    """How loud an alert is."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class BackendKind(StrEnum):
    """Which database is behind the store."""

    MONGODB = "mongodb"
    FERRETDB = "ferretdb"
    EMBEDDED = "embedded"


class Record(BaseModel):
    """Base of every record: immutable, no unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class ResourceRecord(Record):
    """The applied config of one resource at one revision."""

    kind: str
    name: str
    revision: int = Field(ge=1, description="Increases by one on every write, deletes included.")
    config: dict[str, Any]
    commit: str
    updated: datetime


class SyncRunRecord(Record):
    """One sync run: the plan it applied and how each stack fared."""

    id: str
    sync: str
    commit: str
    plan: list[dict[str, Any]]
    started: datetime
    finished: datetime | None = None
    outcome: SyncOutcome = SyncOutcome.RUNNING
    stacks: dict[str, str] = Field(default_factory=dict)
    error: str | None = None


class RepoCursor(Record):
    """The last commit seen on one branch of one repository."""

    repo: str
    branch: str
    commit: str
    updated: datetime


class DeployRecord(Record):
    """One deploy of one stack on one server."""

    id: str
    stack: str
    server: str
    commit: str
    fingerprint: str
    status: DeployStatus
    started: datetime
    finished: datetime
    services: dict[str, Any] = Field(default_factory=dict)
    summary: str = ""


class HealthSample(Record):
    """Facts collected from one host at one moment."""

    host: str
    at: datetime
    facts: dict[str, Any]


class AlertRecord(Record):
    """An alert, open while ``resolved`` is None; repeats bump ``count``."""

    dedup_key: str
    severity: Severity
    message: str
    opened: datetime
    last_seen: datetime
    count: int = 1
    resolved: datetime | None = None


class WebhookRecord(Record):
    """One webhook delivery, kept to drop duplicates and show what it caused."""

    delivery_id: str
    provider: str
    repo: str
    branch: str
    commit: str
    received: datetime
    outcome: str | None = None
    run_id: str | None = None


class LeaseRecord(Record):
    """Who holds a named lease, and until when (``owner`` None: free)."""

    name: str
    owner: str | None
    generation: int
    expires: datetime


class TokenRecord(Record):
    """An API token: its role and salted hash, never the token itself."""

    name: str
    role: str
    salted_hash: str
    created: datetime
    last_used: datetime | None = None


class AuditRecord(Record):
    """Who did what to which target, and when."""

    action: str
    actor: str
    target: str = ""
    detail: dict[str, Any] = Field(default_factory=dict)
    at: datetime | None = Field(default=None, description="Filled with now when recorded.")
