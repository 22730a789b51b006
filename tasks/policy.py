"""Retry and timeout policy shared by every fleetflow task.

Retries back off exponentially with jitter so a fleet of agents retrying the
same flaky registry or daemon does not stampede it. Timeouts that must really
stop work are enforced inside the task (asyncio or subprocess timeouts); a
Prefect ``timeout_seconds`` on a sync task only abandons its thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from prefect import Task
from prefect.cache_policies import NO_CACHE
from prefect.tasks import exponential_backoff

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a task is retried."""

    retries: int = 3
    backoff_factor: float = 2.0
    jitter_factor: float = 0.5

    def delays(self) -> list[float]:
        """The base delay before each retry, in seconds (jitter is applied by Prefect)."""
        return list(exponential_backoff(backoff_factor=self.backoff_factor)(self.retries))

    def task_options(self) -> dict[str, object]:
        """Keyword arguments for ``@task`` / ``Task.with_options``."""
        return {
            "retries": self.retries,
            "retry_delay_seconds": self.delays(),
            "retry_jitter_factor": self.jitter_factor,
        }


DEFAULT = RetryPolicy()
"""Adapter calls that may fail transiently: Docker API, SSH, registry, store."""

NEVER = RetryPolicy(retries=0)
"""Pure steps (load, validate, plan): retrying cannot change the answer."""


def fleet_task(
    name: str, policy: RetryPolicy = DEFAULT, **options: Any
) -> Callable[[Callable[P, R]], Task[P, R]]:
    """``@task`` with ``policy``'s retries and no input caching (inputs are live objects)."""

    def decorate(fn: Callable[P, R]) -> Task[P, R]:
        return Task(
            fn,
            name=name,
            retries=policy.retries,
            retry_delay_seconds=policy.delays(),
            retry_jitter_factor=policy.jitter_factor,
            cache_policy=NO_CACHE,
            **options,
        )

    return decorate
