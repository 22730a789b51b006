"""Start and stop real long-running processes (Prefect server, workers) for tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Process:
    """A child process in its own session, logging to a file, stopped politely then firmly."""

    argv: Sequence[str]
    log: Path
    env: Mapping[str, str] = field(default_factory=dict)
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        handle = self.log.open("ab")
        self.popen = subprocess.Popen(
            list(self.argv),
            stdout=handle,
            stderr=subprocess.STDOUT,
            env={**os.environ, **self.env},
            start_new_session=True,
        )
        handle.close()
        return self

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self, timeout: float = 20) -> None:
        """SIGINT the whole process group, then SIGKILL after ``timeout`` seconds."""
        if self.popen is None or self.popen.poll() is not None:
            return
        for sig, wait in ((signal.SIGINT, timeout), (signal.SIGKILL, 10.0)):
            try:
                os.killpg(self.popen.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.popen.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""


def wait_http_ok(url: str, process: Process, timeout: float = 90) -> None:
    """Poll ``url`` until it answers 200, failing early if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.alive:
            raise RuntimeError(f"{process.argv[0]} exited early:\n{process.tail()}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} not ready after {timeout:.0f} s:\n{process.tail()}")


def drain_prefect_services(timeout: float = 10) -> None:
    """Flush this process's Prefect log and event workers (blocking; not inside an event loop)."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for service in (APILogWorker, EventsWorker):
        service.drain_all(timeout=timeout)


@dataclass
class PrefectServer:
    """A real ``prefect server start`` on 127.0.0.1 with its own SQLite database."""

    home: Path
    port: int = field(default_factory=free_port)
    process: Process | None = None
    auth_string: str | None = None
    """When set, the server demands it (PREFECT_SERVER_API_AUTH_STRING) and ``env()`` carries it."""
    database_url: str | None = None
    """The server's database (e.g. the test bed's PostgreSQL); default SQLite under ``home``."""

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    @property
    def ui_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        return {
            "PREFECT_HOME": str(self.home),
            "PREFECT_API_URL": self.api_url,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
            **({"PREFECT_API_AUTH_STRING": self.auth_string} if self.auth_string else {}),
        }

    def settings(self) -> dict[Any, Any]:
        """Client settings for ``prefect.settings.temporary_settings`` in this process."""
        from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL

        return {PREFECT_API_URL: self.api_url, PREFECT_API_AUTH_STRING: self.auth_string}

    def start(self, prefect: str) -> PrefectServer:
        env = {
            **self.env(),
            "PREFECT_API_DATABASE_CONNECTION_URL": self.database_url
            or f"sqlite+aiosqlite:///{self.home}/prefect.db",
            "PREFECT_SERVER_API_HOST": "127.0.0.1",
            "PREFECT_SERVER_API_PORT": str(self.port),
            "PREFECT_UI_API_URL": self.api_url,
            **({"PREFECT_SERVER_API_AUTH_STRING": self.auth_string} if self.auth_string else {}),
        }
        argv = [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(self.port)]
        self.process = Process(argv, self.home / "server.log", env).start()
        wait_http_ok(f"{self.api_url}/health", self.process)
        return self

    def stop(self) -> None:
        """Let this process deliver its queued Prefect logs and events, then stop the server.

        Otherwise Prefect's background services retry against a dead server
        at interpreter exit and print "Still processing items" tracebacks.
        """
        if self.process is not None:
            if self.process.alive:
                drain_prefect_services()
            self.process.stop()

    def restart(self, prefect: str) -> None:
        self.stop()
        self.start(prefect)
