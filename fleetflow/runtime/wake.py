"""Wake a runner the moment a run is scheduled on its pool, from Prefect's event stream.

A deploy fanned out to a host pool is created Scheduled; without this the agent
finds it on its next query (every ``--query-seconds``, 10 s by default). The
agent subscribes to ``prefect.flow-run.Scheduled`` events (one websocket to the
Prefect API, no polling) and queries at once when one names its pool. The
periodic query stays as the fallback: an event lost while the stream
reconnects only delays a run to the next query.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from prefect.events import Event
from prefect.events.clients import get_events_subscriber
from prefect.events.filters import EventFilter, EventNameFilter, EventOccurredFilter

log = logging.getLogger("fleetflow.agent")

SCHEDULED = "prefect.flow-run.Scheduled"
RECONNECT_SECONDS = 5.0


def names_pool(event: Event, pool: str) -> bool:
    """Whether ``event`` is about a run on work pool ``pool``."""
    return any(r.role == "work-pool" and r.get("prefect.resource.name") == pool for r in event.related)


async def _listen(pool: str, poll: Callable[[], Awaitable[object]]) -> None:
    occurred = EventOccurredFilter.model_validate({"since": datetime.now(UTC)})  # no replay of older ones
    wanted = EventFilter(event=EventNameFilter(name=[SCHEDULED]), occurred=occurred)
    async with get_events_subscriber(filter=wanted, reconnection_attempts=3) as subscriber:
        async for event in subscriber:
            if names_pool(event, pool):
                await poll()


async def wake_on_scheduled(pool: str, poll: Callable[[], Awaitable[object]], stop: asyncio.Event) -> None:
    """Call ``poll`` whenever a run is scheduled on ``pool``, until ``stop``; reconnect when the stream
    drops (said once until it is back)."""
    said_down = False
    while not stop.is_set():
        listener = asyncio.ensure_future(_listen(pool, poll))
        stopping = asyncio.ensure_future(stop.wait())
        done, _ = await asyncio.wait({listener, stopping}, return_when=asyncio.FIRST_COMPLETED)
        for task in (listener, stopping):
            if task not in done:
                task.cancel()
        await asyncio.gather(listener, stopping, return_exceptions=True)
        if stop.is_set():
            return
        error = listener.exception() if not listener.cancelled() else None
        if not said_down:
            log.warning("event stream of pool %s ended (%s); queries go on, reconnecting", pool, error)
        said_down = True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=RECONNECT_SECONDS)
