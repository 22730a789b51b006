"""What the API answers: response bodies, as pydantic models (they make the OpenAPI document)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from fleetflow.store import DeployRecord


class StackAction(StrEnum):
    """Actions ``POST /api/stack/{name}/{action}`` accepts (destroy needs admin)."""

    START = "start"
    STOP = "stop"
    RESTART = "restart"
    PULL = "pull"
    DESTROY = "destroy"


class Body(BaseModel):
    model_config = ConfigDict(frozen=True)


class ErrorBody(Body):
    """Every error: a short code, what went wrong, and what to do."""

    error: str
    message: str
    hint: str = ""


class DeployView(Body):
    """One deploy of a stack."""

    id: str
    server: str
    commit: str
    repo: str = Field(default="", description="Repository of the commit when not the synced one.")
    status: str
    started: datetime
    finished: datetime
    summary: str

    @classmethod
    def of(cls, record: DeployRecord) -> DeployView:
        return cls(
            id=record.id,
            server=record.server,
            commit=record.commit,
            repo=str((record.services.get("result") or {}).get("repo") or ""),
            status=record.status.value,
            started=record.started,
            finished=record.finished,
            summary=record.summary,
        )


class StackSummary(Body):
    """An applied stack and its last good deploy."""

    name: str
    server: str
    commit: str = Field(description="Commit that applied the stack's current config.")
    revision: int
    updated: datetime
    last_good: DeployView | None = None


class BackoffView(Body):
    """A stack backing off after failed deploys of the same inputs (retried at ``next_attempt``)."""

    failures: int
    last_failure: str
    next_attempt: str
    inputs: str


class StackDetail(StackSummary):
    """An applied stack: its config as applied and its latest deploys."""

    config: dict[str, Any]
    deploys: list[DeployView]
    backoff: BackoffView | None = None


class ServerSummary(Body):
    """An applied server and when its health was last sampled."""

    name: str
    address: str
    region: str
    enabled: bool
    last_health: datetime | None = None


class DeliveryView(Body):
    """A webhook delivery and what it caused."""

    id: str
    provider: str
    status: str | None = None
    reason: str = ""
    endpoint: str | None = None
    branch: str | None = None
    commit: str | None = None
    received: datetime | None = None
    run_id: str | None = None


class PlanView(Body):
    """A dry-run sync: the plan at the branch head, nothing applied."""

    sync: str
    commit: str
    summary: str
    plan: list[dict[str, str]]
    rounds: list[list[str]]


class Revoked(Body):
    """Result of revoking a token."""

    name: str
    revoked: bool
