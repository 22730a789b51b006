"""Where deploy results are kept: a small protocol, and an in-memory implementation.

The state DB implements the same two methods later; the engine only needs the
last good deploy of a stack (to skip unchanged stacks and to know a rollback
target exists) and a place to record every outcome.
"""

from __future__ import annotations

import threading
from typing import Protocol

from fleetflow.deploy.models import DeployResult, DeployStatus


class DeployHistory(Protocol):
    """Deploy outcomes per stack."""

    def last_good(self, stack: str) -> DeployResult | None:
        """The most recent deploy of ``stack`` that ended good, if any."""
        ...

    def record(self, result: DeployResult) -> None:
        """Keep ``result`` (any status); must be durable before returning."""
        ...


class InMemoryHistory:
    """A process-local :class:`DeployHistory` (tests, benchmarks, one-shot CLI runs)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._results: dict[str, list[DeployResult]] = {}

    def last_good(self, stack: str) -> DeployResult | None:
        with self._lock:
            for result in reversed(self._results.get(stack, [])):
                if result.status is DeployStatus.GOOD:
                    return result
        return None

    def record(self, result: DeployResult) -> None:
        with self._lock:
            self._results.setdefault(result.stack, []).append(result)

    def all(self, stack: str) -> list[DeployResult]:
        """Every recorded result of ``stack``, oldest first."""
        with self._lock:
            return list(self._results.get(stack, []))
