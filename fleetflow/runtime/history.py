"""The deploy engine's ``DeployHistory`` backed by the state store.

The full ``DeployResult`` (fingerprints, images, per-service states, timings,
masked output tail) is kept in the deploy record's ``services`` document, so
the last good deploy read back is exactly what the engine recorded.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fleetflow.deploy.backoff import NEUTRAL, Attempt, Backoff, streak
from fleetflow.deploy.models import DeployResult
from fleetflow.store import DeployStatus, StateStore
from fleetflow.store.codec import utcnow

RESULT_KEY = "result"


class StoreHistory:
    """Deploy outcomes per stack, durable in the state DB."""

    def __init__(self, store: StateStore) -> None:
        self.store = store

    def last_good(self, stack: str) -> DeployResult | None:
        record = self.store.last_good_deploy(stack)
        if record is None or RESULT_KEY not in record.services:
            return None
        return DeployResult.model_validate(record.services[RESULT_KEY])

    def record(self, result: DeployResult) -> None:
        finished = utcnow()
        started = finished - timedelta(seconds=sum(result.durations.values()))
        self.store.record_deploy(
            stack=result.stack,
            server=result.host,
            commit=result.commit,
            fingerprint=result.fingerprint,
            status=DeployStatus(result.status.value),
            started=started,
            finished=finished,
            services={RESULT_KEY: result.model_dump(mode="json")},
            summary=result.reason,
        )


def attempts(store: StateStore, stack: str, limit: int = 200) -> list[Attempt]:
    """The stack's recorded deploys (newest first) as backoff attempts."""
    out = []
    for record in store.deploy_history(stack, limit=limit):
        result = record.services.get(RESULT_KEY, {})
        digest = str(result.get("inputs_digest", "")) if isinstance(result, dict) else ""
        out.append(Attempt(status=record.status.value, inputs=digest, finished=record.finished))
    return out


def current_backoff(store: StateStore, stack: str) -> Backoff | None:
    """The failure streak of the stack's most recently deployed inputs, if it is backing off."""
    past = attempts(store, stack)
    latest = next((a.inputs for a in past if a.status not in NEUTRAL), "")
    return streak(past, latest) if latest else None


def backoffs(store: StateStore) -> dict[str, dict[str, Any]]:
    """Every applied stack that is backing off: failures, last failure, next attempt (for status and API)."""
    now = utcnow()
    out: dict[str, dict[str, Any]] = {}
    for record in store.list_resources("stack"):
        found = current_backoff(store, record.name)
        if found is not None and found.next_attempt > now:
            out[record.name] = backoff_view(found)
    return out


def backoff_view(found: Backoff) -> dict[str, Any]:
    return {
        "failures": found.failures,
        "last_failure": found.last_failure.isoformat(),
        "next_attempt": found.next_attempt.isoformat(),
        "inputs": found.inputs[:16],
    }
