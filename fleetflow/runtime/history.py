"""The deploy engine's ``DeployHistory`` backed by the state store.

The full ``DeployResult`` (fingerprints, images, per-service states, timings,
masked output tail) is kept in the deploy record's ``services`` document, so
the last good deploy read back is exactly what the engine recorded.
"""

from __future__ import annotations

from datetime import timedelta

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
