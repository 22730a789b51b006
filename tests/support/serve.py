"""``fleetflow serve`` as a user starts it: a CLI process, its local Prefect server, its HTTP API."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.support.processes import free_port

FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}
SECRET = "one-box-secret"


def wait_for(what: str, check: Callable[[], Any], timeout: float, proc: ServeProcess | None = None) -> Any:
    """Poll ``check`` until it returns something truthy (bounded; fails early if serve died)."""
    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and not proc.alive:
            raise AssertionError(f"serve exited ({proc.popen.returncode}) waiting for {what}:\n{proc.tail()}")
        try:
            found = check()
        except (httpx.HTTPError, OSError):
            found = None
        if found:
            return found
        if time.monotonic() > deadline:
            tail = proc.tail() if proc is not None else ""
            raise AssertionError(f"no {what} after {timeout:.0f} s\n{tail}")
        time.sleep(1)


@dataclass
class ServeProcess:
    """One ``fleetflow serve REPO --sync NAME --port P`` child, in its own session."""

    repo: str
    home: Path
    sync: str = "homelab"
    poll_seconds: int = 15
    port: int = field(default_factory=free_port)
    prefect_port: int = field(default_factory=free_port)
    env: dict[str, str] = field(default_factory=dict)
    ignore_sigint: bool = False
    popen: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def prefect_api(self) -> str:
        return self.env.get("PREFECT_API_URL") or f"http://127.0.0.1:{self.prefect_port}/api"

    @property
    def log(self) -> Path:
        return self.home / "serve.log"

    def base_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_API_", "FLEETFLOW_"))}
        env.pop("PREFECT_HOME", None)
        return {
            **env,
            "FLEETFLOW_HOME": str(self.home),
            "PREFECT_HOME": str(self.home / "prefect-client"),
            "FLEETFLOW_WEBHOOK_SECRET": SECRET,
            **self.env,
        }

    def start(self) -> ServeProcess:
        self.home.mkdir(parents=True, exist_ok=True)
        fleetflow = str(Path(sys.executable).parent / "fleetflow")
        argv = [fleetflow, "serve", self.repo, "--sync", self.sync, "--port", str(self.port)]
        argv += ["--poll-seconds", str(self.poll_seconds), "--prefect-port", str(self.prefect_port)]

        def background() -> None:  # what a non-interactive shell does to a job started with &
            signal.signal(signal.SIGINT, signal.SIG_IGN)

        with self.log.open("ab") as handle:
            self.popen = subprocess.Popen(
                argv,
                stdout=handle,
                stderr=subprocess.STDOUT,
                env=self.base_env(),
                start_new_session=True,
                preexec_fn=background if self.ignore_sigint else None,
            )
        return self

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""

    def wait_healthy(self, timeout: float = 240) -> None:
        wait_for("healthy /healthz", lambda: httpx.get(f"{self.url}/healthz", timeout=5).status_code == 200,
                 timeout, self)  # fmt: skip

    def wait_serving(self, timeout: float = 300) -> None:
        """Healthy, and past start-up (deployments registered, runner started)."""
        self.wait_healthy(timeout)
        wait_for(
            "'serving' in its output",
            lambda: f"fleetflow serve: serving {self.sync}" in self.tail(),
            timeout,
            self,
        )

    def signal_and_time(self, sig: signal.Signals, timeout: float = 30) -> float:
        """Send ``sig`` to serve alone (not its group); seconds until it exited."""
        assert self.popen is not None
        started = time.monotonic()
        self.popen.send_signal(sig)
        self.popen.wait(timeout)
        return time.monotonic() - started

    def stop(self) -> None:
        """Kill whatever is left of the session (serve, its Prefect server, its flow runs)."""
        if self.popen is None:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.popen.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                continue
        for pid in session_pids(self.popen.pid) + prefect_server_pids(self.prefect_port):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    # --- through serve's own entry points -------------------------------------------------------

    def push(self, commit: str, branch: str = "main") -> httpx.Response:
        """A signed GitHub push webhook for ``commit``."""
        body = json.dumps(
            {"ref": f"refs/heads/{branch}", "after": commit, "repository": {"full_name": "o/r"}}
        )
        digest = hmac.new(SECRET.encode(), body.encode(), hashlib.sha256).hexdigest()
        headers = {
            "X-GitHub-Event": "push",
            "X-Hub-Signature-256": f"sha256={digest}",
            "X-GitHub-Delivery": f"d-{commit[:12]}",
            "Content-Type": "application/json",
        }
        return httpx.post(f"{self.url}/webhook/github/{self.sync}", content=body, headers=headers, timeout=30)

    def run_state(self, flow_run_id: str) -> tuple[str, str]:
        """The Prefect state type and message of one flow run."""
        data = httpx.get(f"{self.prefect_api}/flow_runs/{flow_run_id}", timeout=10).json()
        state = data.get("state") or {}
        return str(state.get("type", "")), str(state.get("message") or "")

    def wait_run(self, flow_run_id: str, timeout: float = 300) -> tuple[str, str]:
        """Wait until the flow run is final; its state type and message."""

        def final() -> tuple[str, str] | None:
            kind, message = self.run_state(flow_run_id)
            return (kind, message) if kind in FINAL else None

        found: tuple[str, str] = wait_for(f"final state of flow run {flow_run_id}", final, timeout, self)
        return found


def session_pids(sid: int) -> list[int]:
    """Processes still in session ``sid`` (serve's children that outlived it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid:
            found.append(int(entry.name))
    return found


def prefect_server_pids(port: int) -> list[int]:
    """Processes running ``prefect server start … --port <port>``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"server" in argv and b"start" in argv and b"--port" in argv and str(port).encode() in argv:
            found.append(int(entry.name))
    return found
