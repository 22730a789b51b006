"""What idle costs: CPU share and RSS of ``fleetflow serve`` and ``fleetflow agent`` (warm and ``--cold``).

Through the real entry points, each against a real ``prefect server start``
(SQLite); CPU is process CPU time (user + system, children included) over a
window, as a share of one core, with the Prefect server's own share printed
beside it.

- ``serve`` at its default schedules (poll every 300 s, health every minute)
  for a git repository of ``FF_BENCH_STACKS`` stacks (default 10) running on
  test-bed host1 (``FF_BENCH_IDLE_HOST``), over ``FF_BENCH_SERVE_IDLE_SECONDS`` (default 300: one poll
  and five health rounds), after a push to its webhook has deployed every stack.
- an agent for a server with a registered pool and no work, at the default
  query interval (10 s), over ``FF_BENCH_IDLE_SECONDS`` (default 60).

``python -m benchmarks idle``; ``FF_BENCH_IDLE_ONLY=serve`` or ``agent`` runs one part.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench_deploy import _testbed
from benchmarks.bench_webhook import SECRET, _containers, _push, _row, idle_cost
from tests.support.fleet import fleet_files, remove_projects
from tests.support.gitrepo import GitRemote
from tests.support.processes import PrefectServer, Process, free_port, wait_http_ok

IDLE_SECONDS = float(os.environ.get("FF_BENCH_IDLE_SECONDS", "60"))
SERVE_IDLE_SECONDS = float(os.environ.get("FF_BENCH_SERVE_IDLE_SECONDS", "300"))
STACKS = int(os.environ.get("FF_BENCH_STACKS", "10"))
ONLY = os.environ.get("FF_BENCH_IDLE_ONLY", "")
HOST = os.environ.get("FF_BENCH_IDLE_HOST", "host1")


def _executables() -> tuple[str, str]:
    prefect = shutil.which("prefect", path=str(Path(sys.executable).parent))
    fleetflow = shutil.which("fleetflow", path=str(Path(sys.executable).parent))
    assert prefect
    assert fleetflow
    return prefect, fleetflow


def _idle(argv: list[str], server: PrefectServer, root: Path, name: str) -> tuple[float, float, float]:
    env = {**os.environ, **server.env(), "FLEETFLOW_HOME": str(root / name), "PREFECT_HOME": str(root / name)}
    agent = Process(argv, root / f"{name}.log", env).start()
    try:
        time.sleep(15.0)  # imports, first poll and heartbeat are start-up, not idle
        return idle_cost(agent, server, IDLE_SECONDS)
    finally:
        agent.stop()


def agent_rows() -> list[dict[str, object]]:
    from prefect.settings import temporary_settings

    from fleetflow.runtime.pools import ensure_pool

    prefect, fleetflow = _executables()
    rows = []
    with tempfile.TemporaryDirectory(prefix="ff-bench-idle-") as tmp:
        root = Path(tmp)
        server = PrefectServer(home=root / "prefect").start(prefect)
        try:
            with temporary_settings(server.settings()):
                from prefect import get_client

                async def pool() -> None:
                    async with get_client() as client:
                        await ensure_pool(client, "host-idle1", "bench")

                asyncio.run(pool())
            for label, extra in (("warm", []), ("cold (--cold)", ["--cold"])):
                argv = [fleetflow, "agent", "--server", "idle1", *extra]
                cpu, server_cpu, rss = _idle(argv, server, root, label.split()[0])
                note = f"Prefect server beside it: {server_cpu:.2f} %"
                rows.append(
                    _row(f"agent {label}: idle CPU over {IDLE_SECONDS:.0f} s", round(cpu, 2), "%", note)
                )
                rows.append(_row(f"agent {label}: RSS", round(rss), "MB", ""))
        finally:
            server.stop()
    return rows


def serve_rows() -> list[dict[str, object]]:
    url = _testbed()["docker_hosts"][HOST]
    image = str(_testbed()["base_image"])
    projects = [f"idle{HOST}{i:02d}" for i in range(STACKS)]
    prefect, fleetflow = _executables()
    with tempfile.TemporaryDirectory(prefix="ff-bench-idle-serve-") as tmp:
        root = Path(tmp)
        remove_projects(url, projects)
        server = PrefectServer(home=root / "prefect").start(prefect)
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
        argv = [fleetflow, "serve", remote.url, "--sync", "bench", "--port", str(port)]  # default schedules
        serve = Process(argv, root / "serve.log", env).start()
        try:
            wait_http_ok(f"http://127.0.0.1:{port}/healthz", serve, timeout=120)
            _push(
                port, first
            )  # the first sync deploys every stack (the schedule's first poll may be 300 s away)
            deadline = time.monotonic() + 300
            while len(_containers(url, projects)) < len(projects):
                if time.monotonic() > deadline or not serve.alive:
                    raise RuntimeError(f"the first sync did not deploy the stacks:\n{serve.tail()}")
                time.sleep(1.0)
            time.sleep(20.0)  # the first sync's tail (artifacts, logs) is not idle time
            cpu, server_cpu, rss = idle_cost(serve, server, SERVE_IDLE_SECONDS)
        finally:
            serve.stop()
            server.stop()
            remove_projects(url, projects)
    note = f"default schedules, {STACKS} stacks; Prefect server beside it: {server_cpu:.2f} %"
    return [
        _row(f"serve: idle CPU over {SERVE_IDLE_SECONDS:.0f} s", round(cpu, 2), "% of a core", note),
        _row("serve: RSS, idle", round(rss), "MB", ""),
    ]


def run() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    if ONLY in ("", "serve"):
        rows += serve_rows()
    if ONLY in ("", "agent"):
        rows += agent_rows()
    return rows
