"""The two GitOps tools ``bench_peer`` compares, behind one small interface.

:class:`DocoCd` runs the doco-cd binary built by ``scripts/build-doco-cd``;
:class:`FleetflowServe` runs ``fleetflow serve`` beside a real ``prefect server
start`` (SQLite), through the push helper of ``bench_webhook``. Both are started
inside the loopback-only network namespace of ``bench_peer`` and deploy to one
test-bed daemon through its unix socket.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import sys
import time
import uuid
from pathlib import Path
from typing import Protocol

import httpx
import psutil

from benchmarks.bench_webhook import SECRET, _push
from tests.support.processes import PrefectServer, Process, free_port, wait_http_ok

ROOT = Path(__file__).resolve().parents[1]
DOCO_CD = Path(os.environ.get("FF_DOCO_CD", ROOT / ".testbed" / "bin" / "doco-cd"))
SYNC = "bench"  # the sync name bench_webhook's _push posts to


class Tool(Protocol):
    name: str

    def start(self, poll_seconds: int | None) -> None:
        """Start with this poll interval (None: the tool's default schedule); return once it answers."""

    def push(self, commit: str) -> None:
        """Deliver a signed GitHub push webhook for ``commit`` on main."""

    def watched(self) -> dict[str, psutil.Process]:
        """The processes whose idle cost is measured: the tool, and any server it needs."""

    def check(self) -> None:
        """Raise with the tool's log tail if it exited."""

    def stop(self) -> None: ...

    def close(self) -> None:
        """Stop everything started, including servers kept across restarts."""


class DocoCd:
    """doco-cd polling (and receiving webhooks for) the repository served over HTTP."""

    name = "doco-cd"
    http_port = 18080  # inside the private namespace nothing else listens there

    def __init__(self, work: Path, docker_host: str, git_url: str) -> None:
        self.work, self.docker_host, self.git_url = work, docker_host, git_url
        self.secret = SECRET
        self.process: Process | None = None
        (work / "data").mkdir(parents=True, exist_ok=True)

    def start(self, poll_seconds: int | None) -> None:
        interval = f"  interval: {poll_seconds}\n" if poll_seconds else ""  # none: doco-cd's 180 s
        poll_file = self.work / "poll.yaml"
        poll_file.write_text(f"- url: {self.git_url}\n  reference: main\n{interval}")
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.work),
            "HTTP_PORT": str(self.http_port),
            "METRICS_PORT": str(self.http_port + 1),
            "WEBHOOK_SECRET": self.secret,
            "DOCKER_SWARM_FEATURES": "false",
            "DOCKER_HOST": self.docker_host,
            "DATA_MOUNT_PATH": str(self.work / "data"),
            "DATA_HOST_PATH": str(self.work / "data"),
            "POLL_CONFIG_FILE": str(poll_file),
        }
        self.process = Process([str(DOCO_CD)], self.work / "doco-cd.log", env).start()
        wait_http_ok(f"http://127.0.0.1:{self.http_port}/v1/health", self.process, timeout=60)

    def push(self, commit: str) -> None:
        body = json.dumps(
            {
                "ref": "refs/heads/main",
                "after": commit,
                "repository": {"name": "repo", "full_name": "bench/repo", "clone_url": self.git_url},
            }
        ).encode()
        digest = hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        headers = {
            "X-GitHub-Event": "push",
            "X-Hub-Signature-256": f"sha256={digest}",
            "X-GitHub-Delivery": str(uuid.uuid4()),
            "Content-Type": "application/json",
        }
        answer = httpx.post(f"http://127.0.0.1:{self.http_port}/v1/webhook", content=body, headers=headers)
        if answer.status_code != 202:
            raise RuntimeError(f"doco-cd webhook answered {answer.status_code}: {answer.text}")

    def watched(self) -> dict[str, psutil.Process]:
        assert self.process is not None
        assert self.process.popen is not None
        return {self.name: psutil.Process(self.process.popen.pid)}

    def check(self) -> None:
        if self.process is None or not self.process.alive:
            tail = self.process.tail() if self.process else ""
            raise RuntimeError(f"doco-cd exited:\n{tail}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None

    def close(self) -> None:
        self.stop()


class FleetflowServe:
    """``fleetflow serve`` on the repository; its Prefect server is kept across restarts."""

    name = "fleetflow"

    def __init__(self, work: Path, docker_host: str, repo_url: str) -> None:
        self.work, self.docker_host, self.repo_url = work, docker_host, repo_url
        self.port = free_port()
        self.server: PrefectServer | None = None
        self.process: Process | None = None

    def _binary(self, name: str) -> str:
        found = shutil.which(name, path=str(Path(sys.executable).parent))
        if not found:
            raise RuntimeError(f"{name} not found next to {sys.executable}: run scripts/bootstrap")
        return found

    def env(self) -> dict[str, str]:
        """The environment of ``serve`` (and of a ``reconcile`` on the same state)."""
        return {
            **os.environ,
            "FLEETFLOW_HOME": str(self.work / "home"),
            "FLEETFLOW_WEBHOOK_SECRET": SECRET,
            "DOCKER_HOST": self.docker_host,
        }

    def start(self, poll_seconds: int | None) -> None:
        if self.server is None:
            self.server = PrefectServer(home=self.work / "prefect").start(self._binary("prefect"))
        argv = [self._binary("fleetflow"), "serve", self.repo_url, "--sync", SYNC, "--port", str(self.port)]
        if poll_seconds:
            argv += ["--poll-seconds", str(poll_seconds)]
        env = {**self.env(), **self.server.env()}
        self.process = Process(argv, self.work / "serve.log", env).start()
        wait_http_ok(f"http://127.0.0.1:{self.port}/healthz", self.process, timeout=120)

    def push(self, commit: str) -> None:
        _push(self.port, commit)

    def watched(self) -> dict[str, psutil.Process]:
        assert self.process is not None
        assert self.process.popen is not None
        assert self.server is not None
        assert self.server.process is not None
        assert self.server.process.popen is not None
        return {
            self.name: psutil.Process(self.process.popen.pid),
            "Prefect server": psutil.Process(self.server.process.popen.pid),
        }

    def check(self) -> None:
        if self.process is None or not self.process.alive:
            tail = self.process.tail() if self.process else ""
            raise RuntimeError(f"fleetflow serve exited:\n{tail}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None

    def close(self) -> None:
        self.stop()
        if self.server is not None:
            self.server.stop()
            self.server = None

    def phases(self, pushed: float, stack: str) -> dict[str, float]:
        """Seconds from the push (epoch ``pushed``) to the start and end of the flow runs that carried it."""
        from datetime import UTC, datetime

        assert self.server is not None
        api = self.server.api_url
        since = datetime.fromtimestamp(pushed - 0.5, UTC).isoformat()
        query = {"flow_runs": {"start_time": {"after_": since}}, "sort": "START_TIME_ASC", "limit": 100}
        runs = httpx.post(f"{api}/flow_runs/filter", json=query, timeout=30).json()
        flows = {f["id"]: f["name"] for f in httpx.post(f"{api}/flows/filter", json={}, timeout=30).json()}
        marks: dict[str, float] = {}
        for flow, label in (("poll-repo", "poll"), ("sync-resources", "sync"), ("deploy-stack", "deploy")):
            run = next(
                (
                    r
                    for r in runs
                    if flows.get(r["flow_id"]) == flow and r["parameters"].get("stack", stack) == stack
                ),
                None,
            )
            for edge in ("start", "end"):
                if run is not None and run.get(f"{edge}_time"):
                    moment = datetime.fromisoformat(run[f"{edge}_time"]).timestamp()
                    marks[f"{label} {edge}s"] = moment - pushed
        return marks

    def reconcile(self, calls: int) -> tuple[list[float], dict[str, int]]:
        """Wall seconds of ``fleetflow reconcile`` on serve's state, its default local Prefect server kept.

        The first call starts that server; it is stopped afterwards. Also: how
        many stacks each outcome status had in the last call.
        """
        import subprocess

        fleetflow = self._binary("fleetflow")
        env = {k: v for k, v in self.env().items() if not k.startswith("PREFECT_")}
        times: list[float] = []
        statuses: dict[str, int] = {}
        try:
            for _ in range(calls):
                started = time.perf_counter()
                done = subprocess.run(
                    [fleetflow, "reconcile", self.repo_url, "--json"],
                    env=env, capture_output=True, text=True, timeout=300, check=False,
                )  # fmt: skip
                times.append(time.perf_counter() - started)
                if done.returncode != 0:
                    raise RuntimeError(
                        f"fleetflow reconcile failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
                    )
                result = json.loads(done.stdout[done.stdout.index("{") :])
                statuses = {}
                for outcome in result.get("stacks", {}).values():
                    statuses[str(outcome.get("status"))] = statuses.get(str(outcome.get("status")), 0) + 1
        finally:
            subprocess.run(
                [fleetflow, "prefect-server", "stop"], env=env, capture_output=True, timeout=60, check=False
            )
        return times, statuses
