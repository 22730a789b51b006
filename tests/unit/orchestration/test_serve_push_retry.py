"""A push whose poll cannot start (a scheduled poll runs; one at a time) polls again once it is done.

Pure: the runner is a stand-in recording triggers; the real path runs in
tests/e2e/test_serve_webhook_force.py.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import pytest

from deployments.serve import WarmServe
from fleetflow.webhook import Trigger

pytestmark = pytest.mark.unit


@dataclass
class BusyRunner:
    """Refuses ``busy`` triggers (their runs are cancelled, never started), then runs them."""

    busy: int
    calls: list[dict[str, Any]] = field(default_factory=list)
    running: dict[UUID, Any] = field(default_factory=dict)
    finished: dict[UUID, Any] = field(default_factory=dict)

    async def trigger(self, deployment_id: UUID, *, parameters: dict[str, Any], tags: list[str]) -> UUID:
        self.calls.append({"parameters": parameters, "tags": tags})
        run_id = uuid.uuid4()
        if len(self.calls) > self.busy:
            self.finished[run_id] = "COMPLETED"
        return run_id

    async def wait(self, run_id: UUID, timeout: float) -> Any:
        return self.finished.get(run_id)


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    """The runner's own loop on its own thread, as in serve."""
    runner_loop = asyncio.new_event_loop()
    thread = threading.Thread(target=runner_loop.run_forever, daemon=True)
    thread.start()
    yield runner_loop
    runner_loop.call_soon_threadsafe(runner_loop.stop)
    thread.join(5)


def _warm(runner: BusyRunner, loop: asyncio.AbstractEventLoop) -> WarmServe:
    warm = WarmServe([], poll_deployment="poll-repo/homelab")
    warm.ids["poll-repo/homelab"] = uuid.uuid4()
    warm.runner, warm.loop = runner, loop  # type: ignore[assignment]
    warm.ready.set()
    return warm


async def test_a_push_during_a_running_poll_polls_again(loop: asyncio.AbstractEventLoop) -> None:
    runner = BusyRunner(busy=2)
    await _warm(runner, loop).on_push(Trigger(1, "homelab", "main", "abc", ("d1", "d2")))
    assert len(runner.calls) == 3
    assert all(c["parameters"] == {"webhook": True} for c in runner.calls)
    assert runner.calls[-1]["tags"] == ["webhook", "delivery:d1", "delivery:d2"]


async def test_a_push_that_starts_at_once_triggers_once(loop: asyncio.AbstractEventLoop) -> None:
    runner = BusyRunner(busy=0)
    await _warm(runner, loop).on_push(Trigger(1, "homelab", "main", "abc", ("d1",)))
    assert len(runner.calls) == 1
