"""Push webhook -> new container running, through the real ``fleetflow serve`` process.

End to end, as a user meets it: a real ``prefect server start`` (SQLite), then
``fleetflow serve`` as its own process (warm runner, HTTP webhook on 127.0.0.1),
a real git remote with ``FF_BENCH_STACKS`` stacks (default 10) on test-bed host1.
Each round commits a change to one stack's compose file, POSTs a signed GitHub
push to the webhook and stops the clock when that stack's new container runs.
``FF_BENCH_PREFECT_DATABASE=postgres`` runs the Prefect server on the test bed's
PostgreSQL instead of SQLite. Beside it: the floor (``docker compose up -d`` of the
same change), the number of other containers restarted (must be 0), serve's idle
CPU and RSS over ``FF_BENCH_IDLE_SECONDS`` (default 60) with the Prefect server's
share printed apart, and the median of each phase (``deploy_phases``).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import docker
import httpx
import psutil

from benchmarks.bench_deploy import _testbed
from benchmarks.bench_latency import _database, _floor
from benchmarks.deploy_phases import Round, collect, phase_rows
from tests.support.fleet import compose, fleet_files, remove_projects
from tests.support.gitrepo import GitRemote
from tests.support.processes import PrefectServer, Process, free_port, wait_http_ok

ROUNDS = int(os.environ.get("FF_BENCH_ROUNDS", "5"))
STACKS = int(os.environ.get("FF_BENCH_STACKS", "10"))
IDLE_SECONDS = float(os.environ.get("FF_BENCH_IDLE_SECONDS", "60"))
DATABASE = os.environ.get("FF_BENCH_PREFECT_DATABASE", "sqlite")
"""The Prefect server's database: ``sqlite`` (serve's default) or ``postgres`` (the test bed's)."""
SECRET = "bench-webhook-secret"  # noqa: S105 (a test-bed value, not a credential)
TIMEOUT = 180.0


def _containers(url: str, projects: list[str]) -> dict[str, str]:
    """project -> running container id."""
    client = docker.DockerClient(base_url=url)
    try:
        found: dict[str, str] = {}
        # the raw list (one call): the SDK's list inspects each container, which races compose's recreate
        for c in client.api.containers(filters={"label": "com.docker.compose.service=app"}):
            project = (c.get("Labels") or {}).get("com.docker.compose.project", "")
            if project in projects:
                found[project] = str(c["Id"])
        return found
    finally:
        client.close()


def _push(port: int, commit: str) -> None:
    body = json.dumps(
        {"ref": "refs/heads/main", "after": commit, "repository": {"full_name": "b/b"}}
    ).encode()
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "X-GitHub-Event": "push",
        "X-Hub-Signature-256": f"sha256={digest}",
        "X-GitHub-Delivery": str(uuid.uuid4()),
        "Content-Type": "application/json",
    }
    answer = httpx.post(f"http://127.0.0.1:{port}/webhook/github/bench", content=body, headers=headers)
    if answer.status_code != 202:
        raise RuntimeError(f"webhook answered {answer.status_code}: {answer.text}")


def _wait(url: str, projects: list[str], done: Any, serve: Process) -> dict[str, str]:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        now = _containers(url, projects)
        if done(now):
            return now
        if not serve.alive:
            raise RuntimeError(f"fleetflow serve exited:\n{serve.tail()}")
        time.sleep(0.05)
    raise RuntimeError(f"timed out after {TIMEOUT:.0f} s\n{serve.tail()}")


def _cpu_seconds(process: psutil.Process) -> float:
    total = 0.0
    for p in [process, *process.children(recursive=True)]:
        try:
            times = p.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def _rss_mb(process: psutil.Process) -> float:
    return float(process.memory_info().rss) / 1e6


def idle_cost(watched: Process, server: PrefectServer, seconds: float) -> tuple[float, float, float]:
    """CPU % of one core of ``watched`` and of the Prefect server over ``seconds``; RSS of ``watched``."""
    assert watched.popen is not None
    assert server.process is not None
    assert server.process.popen is not None
    mine, theirs = psutil.Process(watched.popen.pid), psutil.Process(server.process.popen.pid)
    mine0, theirs0, started = _cpu_seconds(mine), _cpu_seconds(theirs), time.perf_counter()
    time.sleep(seconds)
    elapsed = time.perf_counter() - started
    share = 100 * (_cpu_seconds(mine) - mine0) / elapsed
    server_share = 100 * (_cpu_seconds(theirs) - theirs0) / elapsed
    return share, server_share, _rss_mb(mine)


def run() -> list[dict[str, object]]:
    url = _testbed()["docker_hosts"]["host1"]
    image = str(_testbed()["base_image"])
    projects = [f"wh{i:02d}" for i in range(STACKS)]
    prefect = shutil.which("prefect", path=str(Path(sys.executable).parent))
    fleetflow = shutil.which("fleetflow", path=str(Path(sys.executable).parent))
    assert prefect
    assert fleetflow
    with contextlib.ExitStack() as exits, tempfile.TemporaryDirectory(prefix="ff-bench-webhook-") as tmp:
        root = Path(tmp)
        remove_projects(url, projects)
        database = exits.enter_context(_database(DATABASE))
        server = PrefectServer(home=root / "prefect", database_url=database).start(prefect)
        remote = GitRemote.create(root / "git")
        first = remote.commit("fleet", fleet_files({"h1": url}, image, stacks=dict.fromkeys(projects, "h1")))
        port = free_port()
        env = {
            **os.environ,
            **server.env(),
            "FLEETFLOW_HOME": str(root / "home"),
            "FLEETFLOW_WEBHOOK_SECRET": SECRET,
            "DOCKER_HOST": url,
        }
        argv = [
            fleetflow,
            "serve",
            remote.url,
            "--sync",
            "bench",
            "--port",
            str(port),
            "--poll-seconds",
            "3600",
        ]
        serve = Process(argv, root / "serve.log", env).start()
        try:
            wait_http_ok(f"http://127.0.0.1:{port}/healthz", serve, timeout=120)
            _push(port, first)
            _wait(url, projects, lambda now: len(now) == len(projects), serve)
            times: list[float] = []
            rounds: list[Round] = []
            restarts = 0
            load = os.getloadavg()[0]
            for i in range(ROUNDS):
                target = projects[i % len(projects)]
                before = _containers(url, projects)
                commit = remote.commit(
                    f"change {i}", {f"stacks/{target}/compose.yaml": compose(f"sleep {7000 + i}", image)}
                )
                started, wall = time.perf_counter(), time.time()
                _push(port, commit)
                after = _wait(url, projects, lambda now, t=target, b=before: now.get(t, b[t]) != b[t], serve)
                times.append(time.perf_counter() - started)
                rounds.append(Round(triggered=wall, seen=time.time(), container=after[target], stack=target))
                time.sleep(1.0)  # let the run finish before the next change (not timed)
                after = _containers(url, projects)
                restarts += sum(1 for p in projects if p != target and after.get(p) != before.get(p))
            (root / "floor").mkdir()
            floor = _floor(url, root / "floor", ROUNDS)
            time.sleep(5.0)  # the last run's tail (artifacts, logs) is not idle time
            serve_cpu, server_cpu, serve_rss = idle_cost(serve, server, IDLE_SECONDS)
            collect(server.api_url, url, rounds, ("poll", "sync", "deploy"))
            load = max(load, os.getloadavg()[0])
        finally:
            serve.stop()
            server.stop()
            remove_projects(url, projects)
    median = statistics.median(times)
    floor_median = statistics.median(floor)
    spread = f"min {min(times):.2f} max {max(times):.2f}; floor + {median - floor_median:.2f} s"
    return [
        _row(f"serve: push webhook -> running, Prefect on {DATABASE}, median of {ROUNDS}", round(median, 2),
             "s", f"{STACKS} stacks; {spread}"),
        _row("floor: docker compose up -d of the same change", round(floor_median, 2), "s",
             f"median of {ROUNDS}"),
        _row("serve: other containers restarted", restarts, "", "must be 0"),
        _row(f"serve: idle CPU over {IDLE_SECONDS:.0f} s", round(serve_cpu, 2), "% of a core",
             f"Prefect server beside it: {server_cpu:.2f} %"),
        _row("serve: RSS after the rounds", round(serve_rss), "MB", ""),
        _row("machine load (1 min average, higher of start and end)", round(load, 1), "", ""),
        *phase_rows(rounds, "poll", "serve"),
    ]  # fmt: skip


def _row(benchmark: str, value: object, unit: str, note: str) -> dict[str, object]:
    return {"benchmark": benchmark, "value": value, "unit": unit, "note": note}
