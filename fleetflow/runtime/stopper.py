"""Stopping a long-running fleetflow process promptly: SIGINT/SIGTERM -> a message -> exit within seconds.

Signal handlers are installed explicitly, so a process started in the background
(which inherits SIGINT as ignored) still stops on SIGINT. The first signal
prints what the process was doing, runs the stop callbacks (runner, HTTP,
child servers) and exits; a watchdog exits anyway after ``grace_s``, whatever
state the Prefect API is in (blocked clients, retries, exit handlers). A second
signal exits at once.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType

EXIT_SIGNALLED = 0
EXIT_FAILED = 1


class Stopper:
    """Where a process is (``phase``), and how it stops (``on_stop`` callbacks, newest first)."""

    def __init__(self, name: str, grace_s: float = 4.0) -> None:
        self.name = name
        self.grace_s = grace_s
        self.phase = "starting"
        self.activity: Callable[[], str] | None = None
        """Optional detail of the phase, asked when a signal arrives (e.g. runs in progress)."""
        self.reason = ""
        self._event = threading.Event()
        self._callbacks: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self._stopped = False
        self._err = sys.stderr.fileno()

    def install(self) -> None:
        """Handle SIGINT and SIGTERM (restoring them if they were inherited as ignored)."""
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._on_signal)

    def say(self, text: str) -> None:
        """One line on stderr (``os.write``: safe inside a signal handler)."""
        os.write(self._err, f"{self.name}: {text}\n".encode())

    def _on_signal(self, signum: int, _: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if self._event.is_set():
            self.say(f"{name} again: exiting now")
            os._exit(EXIT_SIGNALLED)
        self.say(f"{name} received while {self.doing()}; stopping (within {self.grace_s + 1:.0f} s)")
        self.request(name)

    def doing(self) -> str:
        """The phase, with its detail when there is one."""
        try:
            detail = self.activity() if self.activity else ""
        except Exception:
            detail = ""
        return f"{self.phase} ({detail})" if detail else self.phase

    @property
    def requested(self) -> bool:
        return self._event.is_set()

    def request(self, reason: str) -> None:
        """Ask the process to stop; starts the watchdog."""
        with self._lock:
            if self._event.is_set():
                return
            self.reason = reason
            self._event.set()
        threading.Thread(target=self._watchdog, name="stop-watchdog", daemon=True).start()

    def on_stop(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` when stopping (callbacks run newest first, each at most once)."""
        self._callbacks.append(callback)

    def wait(self) -> None:
        """Block the main thread until a stop is requested (signals are handled meanwhile)."""
        while not self._event.wait(0.5):
            pass

    def cleanup(self) -> None:
        """Run the stop callbacks once; a failing one does not stop the others."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            callbacks = list(reversed(self._callbacks))
            self._mute_others()
        for callback in callbacks:
            try:
                callback()
            except Exception as exc:
                self.say(f"while stopping: {type(exc).__name__}: {exc}")

    def _mute_others(self) -> None:
        """From here on only this object writes to stderr: background clients losing the API they
        talk to as it stops would otherwise print tracebacks nobody needs.
        """
        sys.stderr.flush()
        self._err = os.dup(self._err)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)

    def exit(self) -> None:
        """Clean up and leave the process now, skipping exit handlers that could wait on a dead API."""
        self.cleanup()
        code = EXIT_SIGNALLED if self.reason.startswith("SIG") else EXIT_FAILED
        self.say("stopped" if code == EXIT_SIGNALLED else f"stopped ({self.reason})")
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)

    def _watchdog(self) -> None:
        time.sleep(self.grace_s)
        self.say(f"still busy {self.doing()} after {self.grace_s:.0f} s: exiting now")
        threading.Thread(target=self.cleanup, daemon=True).start()
        time.sleep(0.5)
        os._exit(EXIT_SIGNALLED if self.reason.startswith("SIG") else EXIT_FAILED)
