"""A local Prefect server kept between one-shot CLI runs (``reconcile``, ``status``) on one box.

Without ``PREFECT_API_URL``, Prefect would start a temporary server inside every
command (10-30 s each time). Instead the first command starts ``prefect server
start`` in the background on 127.0.0.1 (its own SQLite database under
``FLEETFLOW_HOME/prefect-server``), records its address, and later commands reuse
it while it answers. ``fleetflow prefect-server stop`` ends it, and so does
``FLEETFLOW_PREFECT_IDLE_MINUTES`` (default 60; 0: never) without a command that
uses it: each use touches ``last-used``, which ``idle_watch`` looks at.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from fleetflow.errors import ConfigError
from fleetflow.runtime.prefect_server import healthy, start_local_prefect

START_TIMEOUT_SECONDS = float(os.environ.get("FLEETFLOW_PREFECT_START_TIMEOUT_SECONDS", "180"))
IDLE_MINUTES_DEFAULT = 60.0


@dataclass(frozen=True)
class LocalServer:
    """A running local Prefect API: its URL, process id, and whether this call started it."""

    url: str
    pid: int
    started: bool = False


def server_dir(home: Path) -> Path:
    return home / "prefect-server"


def _record(home: Path) -> Path:
    return server_dir(home) / "server.json"


def last_used(home: Path) -> Path:
    """The stamp each use of the kept server touches; the server ends after it is idle this long."""
    return server_dir(home) / "last-used"


def idle_seconds() -> float:
    """``FLEETFLOW_PREFECT_IDLE_MINUTES`` in seconds (0: the kept server never ends by itself)."""
    raw = os.environ.get("FLEETFLOW_PREFECT_IDLE_MINUTES", "")
    try:
        minutes = float(raw) if raw else IDLE_MINUTES_DEFAULT
    except ValueError:
        raise ConfigError(
            f"FLEETFLOW_PREFECT_IDLE_MINUTES={raw!r} is not a number",
            hint="set minutes (e.g. 60); 0 keeps the server until `fleetflow prefect-server stop`",
        ) from None
    return max(minutes, 0.0) * 60


def _touch(home: Path) -> None:
    stamp = last_used(home)
    stamp.touch(mode=0o600, exist_ok=True)
    os.utime(stamp)


def running(home: Path) -> LocalServer | None:
    """The recorded server, when its process lives and its API answers."""
    try:
        data = json.loads(_record(home).read_text())
        server = LocalServer(url=str(data["url"]), pid=int(data["pid"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(server.pid, 0)
    except OSError:
        return None
    return server if healthy(server.url) else None


@contextmanager
def _locked(home: Path) -> Iterator[None]:
    """One starter at a time (two CLI runs at once share one server)."""
    folder = server_dir(home)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    with (folder / "lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def start(home: Path) -> LocalServer:
    """Start ``prefect server start`` detached (its own session) and wait until it answers; record it."""
    _touch(home)
    server = start_local_prefect(
        server_dir(home),
        timeout_s=START_TIMEOUT_SECONDS,
        idle_stamp=last_used(home),
        idle_seconds=idle_seconds(),
    )
    record = _record(home)
    record.write_text(json.dumps({"url": server.api_url, "pid": server.process.pid}))
    record.chmod(0o600)
    return LocalServer(url=server.api_url, pid=server.process.pid, started=True)


def ensure(home: Path) -> LocalServer:
    """The running local server, or a new one; either way this use counts against its idle timeout."""
    with _locked(home):
        server = running(home)
        if server is not None:
            _touch(home)
            return server
        return start(home)


def stop(home: Path, timeout: float = 20.0) -> bool:
    """Stop the recorded server; False when none was running."""
    with _locked(home):
        server = running(home)
        _record(home).unlink(missing_ok=True)
    if server is None:
        return False
    os.killpg(server.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(server.pid, 0)
        except OSError:
            return True
        time.sleep(0.2)
    os.killpg(server.pid, signal.SIGKILL)
    return True
