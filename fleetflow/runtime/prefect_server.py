"""A local Prefect server for ``fleetflow serve`` on one box: SQLite, 127.0.0.1, no telemetry.

Started only when ``PREFECT_API_URL`` is unset, as a child process
(``python -m prefect server start``) on a free port (or ``--prefect-port``),
with its database and log under ``<FLEETFLOW_HOME>/prefect``. Stopped with
SIGTERM, then SIGKILL, when ``serve`` exits.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from fleetflow.errors import ComponentUnavailable

NO_TELEMETRY = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
}


def quiet_env() -> None:
    """No Prefect analytics from this process or the ones it starts (unless the user set otherwise)."""
    for key, value in NO_TELEMETRY.items():
        os.environ.setdefault(key, value)


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LocalPrefect:
    """A running ``prefect server start`` child."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 3.0) -> None:
        """SIGTERM its process group, SIGKILL after ``timeout`` seconds."""
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 2.0)):
            if not self.alive:
                return
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.process.wait(wait)
            except subprocess.TimeoutExpired:
                continue


def healthy(url: str, timeout: float = 2.0) -> bool:
    """True when the Prefect API at ``url`` answers its health check.

    The one probe of a Prefect API that fleetflow starts or keeps (plain HTTP on
    127.0.0.1: no TLS set-up, which costs an HTTP client 40-170 ms of CPU).
    """
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=timeout) as answer:  # noqa: S310 - local API
            return int(answer.status) == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def start_local_prefect(
    home: Path,
    port: int = 0,
    timeout_s: float = 120.0,
    should_stop: Callable[[], bool] = lambda: False,
    idle_stamp: Path | None = None,
    idle_seconds: float = 0.0,
) -> LocalPrefect:
    """Start a Prefect server on 127.0.0.1 (SQLite under ``home``) and wait until it answers.

    With ``idle_stamp`` and ``idle_seconds`` the server ends itself once the stamp
    file has not been touched for that long (see ``idle_watch``).
    """
    home.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    log = home / "server.log"
    env = {
        **os.environ,
        **NO_TELEMETRY,
        "PREFECT_HOME": str(home),
        "PREFECT_API_DATABASE_CONNECTION_URL": os.environ.get(
            "PREFECT_API_DATABASE_CONNECTION_URL", f"sqlite+aiosqlite:///{home}/prefect.db"
        ),
        "PREFECT_SERVER_API_HOST": "127.0.0.1",
        "PREFECT_SERVER_API_PORT": str(port),
        "PREFECT_UI_API_URL": f"http://127.0.0.1:{port}/api",
    }
    env.pop("PREFECT_API_URL", None)
    argv = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    if idle_stamp is not None and idle_seconds > 0:
        watch = [
            sys.executable,
            "-m",
            "fleetflow.runtime.idle_watch",
            str(idle_stamp),
            str(idle_seconds),
            "--",
        ]
        argv = [*watch, *argv]
    with log.open("ab") as handle:
        process = subprocess.Popen(
            argv, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
            start_new_session=True,
        )  # fmt: skip
    server = LocalPrefect(process=process, port=port, log=log)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if should_stop():
            server.stop()
            raise ComponentUnavailable("stopped while the local Prefect server was starting")
        if not server.alive:
            raise ComponentUnavailable(
                f"the local Prefect server exited at start (code {process.returncode}); "
                f"its log {log} ends: {server.tail(5)}",
                hint="Free the port (--prefect-port) or point PREFECT_API_URL at a running Prefect server.",
            )
        if healthy(server.api_url):
            return server
        time.sleep(0.5)
    server.stop()
    raise ComponentUnavailable(
        f"the local Prefect server did not answer on 127.0.0.1:{port} within {timeout_s:.0f} s (log: {log})",
        hint="The machine may be overloaded; or point PREFECT_API_URL at a running Prefect server.",
    )
