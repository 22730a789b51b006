"""Coalesce bursts of pushes into one trigger per endpoint, and limit each source's request rate.

Per endpoint at most one trigger runs and at most one batch waits: pushes that
arrive while a trigger runs join the next batch. A batch fires once pushes
have been quiet for ``debounce`` seconds, or ``max_delay`` after its first push.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from fleetflow.webhook.deliveries import DeliveryLog, DeliveryStatus


@dataclass(frozen=True)
class Trigger:
    """What the handler gets: one coalesced batch of pushes to an endpoint."""

    sequence: int
    endpoint: str
    branch: str
    commit: str | None
    delivery_ids: tuple[str, ...]


Handler = Callable[[Trigger], Awaitable[object] | object]


@dataclass
class _Batch:
    deliveries: list[str] = field(default_factory=list)
    commit: str | None = None
    branch: str = ""
    first: float = 0.0
    last: float = 0.0


class Coalescer:
    """One worker task per endpoint; a queued batch absorbs every push until the worker takes it."""

    def __init__(self, handler: Handler, log: DeliveryLog, debounce: float, max_delay: float) -> None:
        self._handler, self._log = handler, log
        self._debounce, self._max_delay = debounce, max(max_delay, debounce)
        self._pending: dict[str, _Batch] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._sequence = 0

    def submit(self, endpoint: str, delivery_id: str, branch: str, commit: str | None) -> None:
        """Queue a verified push; starts the endpoint's worker when none runs."""
        now = time.monotonic()
        batch = self._pending.setdefault(endpoint, _Batch(first=now))
        batch.deliveries.append(delivery_id)
        batch.commit, batch.branch, batch.last = commit or batch.commit, branch, now
        worker = self._workers.get(endpoint)
        if worker is None or worker.done():
            self._workers[endpoint] = asyncio.get_running_loop().create_task(self._work(endpoint))

    async def _work(self, endpoint: str) -> None:
        while (batch := self._pending.get(endpoint)) is not None:
            fire_at = min(batch.last + self._debounce, batch.first + self._max_delay)
            wait = fire_at - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            del self._pending[endpoint]
            await self._fire(endpoint, batch)

    async def _fire(self, endpoint: str, batch: _Batch) -> None:
        self._sequence += 1
        trigger = Trigger(self._sequence, endpoint, batch.branch, batch.commit, tuple(batch.deliveries))
        for delivery_id in batch.deliveries:
            self._log.update(delivery_id, status=DeliveryStatus.RUNNING, trigger=trigger.sequence)
        try:
            if inspect.iscoroutinefunction(self._handler):
                await self._handler(trigger)
            else:
                outcome = await asyncio.to_thread(self._handler, trigger)
                if inspect.isawaitable(outcome):
                    await outcome
        except Exception as exc:  # the handler's failure is the deliveries' outcome, not a crash
            reason = f"trigger failed: {type(exc).__name__}: {exc}"[:500]
            for delivery_id in batch.deliveries:
                self._log.update(delivery_id, status=DeliveryStatus.FAILED, reason=reason)
            return
        for delivery_id in batch.deliveries:
            self._log.update(delivery_id, status=DeliveryStatus.COMPLETED)

    async def aclose(self) -> None:
        """Cancel the workers (server shutdown); queued deliveries stay queued in the log."""
        for task in self._workers.values():
            task.cancel()
        await asyncio.gather(*self._workers.values(), return_exceptions=True)


_MAX_SOURCES = 10_000


class SourceLimiter:
    """Per source address: at most ``max_requests`` and ``max_failures`` in a sliding ``window``."""

    def __init__(self, max_requests: int, max_failures: int, window: float) -> None:
        self._max_requests, self._max_failures, self._window = max_requests, max_failures, window
        self._requests: dict[str, deque[float]] = defaultdict(deque)
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def _trim(self, times: deque[float], now: float) -> deque[float]:
        while times and times[0] <= now - self._window:
            times.popleft()
        return times

    def failing(self, source: str) -> str | None:
        """Why ``source`` is refused for its recent failures, or None (requests are not counted)."""
        if len(self._trim(self._failures[source], time.monotonic())) >= self._max_failures:
            return f"too many failed requests from {source}; retry after {self._window:.0f} s"
        return None

    def allow(self, source: str) -> str | None:
        """None when ``source`` may proceed (and counts the request), else why it may not."""
        now = time.monotonic()
        if (why := self.failing(source)) is not None:
            return why
        requests = self._trim(self._requests[source], now)
        if len(requests) >= self._max_requests:
            return f"more than {self._max_requests} requests from {source} in {self._window:.0f} s"
        requests.append(now)
        return None

    def failed(self, source: str) -> None:
        """Count a rejected request against ``source``."""
        self._failures[source].append(time.monotonic())
        if len(self._failures) > _MAX_SOURCES or len(self._requests) > _MAX_SOURCES:
            self._prune()

    def _prune(self) -> None:
        """Forget sources with nothing in the window (memory stays bounded under a spread flood)."""
        now = time.monotonic()
        for table in (self._failures, self._requests):
            for source in [s for s, times in table.items() if not self._trim(times, now)]:
                del table[source]
