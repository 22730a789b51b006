"""One background event loop thread for all of the process's SSH connections.

asyncssh connections belong to the loop that opened them, while Prefect may
call from several loops and threads; :class:`IoLoop` runs every connection on
one daemon thread and lets any loop (:meth:`IoLoop.call`) or thread
(:meth:`IoLoop.call_sync`) use them.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

CLEANUP_WAIT_S = 15.0
"""How long a cancelled caller waits for the coroutine's own cleanup (a remote kill)."""


def _settle(task: asyncio.Task[T], outcome: concurrent.futures.Future[T]) -> None:
    """Copy a finished IO-loop task's outcome to a thread-safe future."""
    if task.cancelled():
        outcome.cancel()
    elif (exc := task.exception()) is not None:
        outcome.set_exception(exc)
    else:
        outcome.set_result(task.result())


class IoLoop:
    """A daemon thread running one event loop for every SSH connection of the process."""

    _shared: IoLoop | None = None
    _shared_lock = threading.Lock()

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="fleetflow-ssh", daemon=True)
        self.thread.start()

    @classmethod
    def shared(cls) -> IoLoop:
        with cls._shared_lock:
            if cls._shared is None:
                cls._shared = cls()
            return cls._shared

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    async def call(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await ``coro`` on the IO loop from any other loop.

        Cancelling the caller cancels ``coro`` and waits (bounded) for its cleanup to finish,
        so a cancelled remote command is really gone when the cancellation completes.
        """
        outcome: concurrent.futures.Future[T] = concurrent.futures.Future()
        tasks: list[asyncio.Task[T]] = []

        def start() -> None:
            task = self.loop.create_task(coro)
            task.add_done_callback(lambda t: _settle(t, outcome))
            tasks.append(task)

        self.loop.call_soon_threadsafe(start)
        waiter = asyncio.wrap_future(outcome)
        try:
            return await asyncio.shield(waiter)
        except asyncio.CancelledError:
            self.loop.call_soon_threadsafe(lambda: tasks[0].cancel())  # runs after start(): FIFO
            await asyncio.wait({waiter}, timeout=CLEANUP_WAIT_S)
            raise

    def call_sync(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        if threading.current_thread() is self.thread:
            coro.close()
            raise RuntimeError("a blocking call must not be made from the IO thread itself")
        return self.submit(coro).result(timeout)
