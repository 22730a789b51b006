"""Run a command until a stamp file has not been touched for a while: the kept local server's idle timeout.

``python -m fleetflow.runtime.idle_watch STAMP IDLE_SECONDS -- COMMAND...`` starts
COMMAND (the local ``prefect server start``), and ends it (SIGTERM, SIGKILL
after 20 s) once STAMP's modification time is IDLE_SECONDS old or STAMP is
gone; it exits when COMMAND does. Each command that uses the server touches
STAMP. Standard library only: the watcher costs a few MB and no CPU to speak of.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

CHECK_SECONDS = 30.0
STOP_GRACE_SECONDS = 20.0


def idle_for(stamp: Path, now: float) -> float:
    """Seconds since ``stamp`` was last touched (infinite when it is gone)."""
    try:
        return now - stamp.stat().st_mtime
    except OSError:
        return float("inf")


def watch(stamp: Path, idle_seconds: float, argv: list[str], check_seconds: float = CHECK_SECONDS) -> int:
    """Run ``argv`` until it exits (its code) or ``stamp`` is idle for ``idle_seconds`` (0)."""
    child = subprocess.Popen(argv)

    def forward(signum: int, _frame: object) -> None:
        child.send_signal(signum)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, forward)
    while True:
        try:
            return child.wait(timeout=min(check_seconds, max(idle_seconds, 1.0)))
        except subprocess.TimeoutExpired:
            pass
        if idle_for(stamp, time.time()) >= idle_seconds:
            child.terminate()
            try:
                child.wait(timeout=STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            return 0


def main(args: list[str]) -> int:
    if len(args) < 4 or args[2] != "--":
        print(
            "usage: python -m fleetflow.runtime.idle_watch STAMP IDLE_SECONDS -- COMMAND...", file=sys.stderr
        )
        return 2
    return watch(Path(args[0]), float(args[1]), args[3:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
