"""Change-to-running latency on the single-box (serve) path, next to the floor.

Each round commits a change to one stack's compose file in a real git remote,
then runs what a push webhook triggers — ``poll-repo`` in this process (fetch,
plan, apply, deploy-stack) — and stops the clock when the new container runs.
The floor is ``docker compose up -d`` of the same change on the same daemon.
Prefect overhead per deploy = the flow path minus the floor. Median of
``FF_BENCH_ROUNDS`` (default 10).

The multi-host worker path: FerretDB as the store, an agent (``fleetflow agent
--server h1 --query-seconds 2``) on test-bed host1; the sync runs here and
fans out to pool ``host-h1``. Its latency includes the agent's query interval
(median about half of it) and the flow run start in a fresh process.

Both paths run against a real ``prefect server start``, once on SQLite and once
on the test bed's PostgreSQL: on SQLite, Prefect answers a write that meets
another writer with HTTP 503 and its client retries after about 2 s, which
shows in most rounds.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import os
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import docker

from benchmarks.bench_deploy import _testbed
from benchmarks.deploy_phases import Round, collect, docker_started, phase_rows
from tests.support.fleet import compose, fleet_files, remove_projects
from tests.support.gitrepo import GitRemote

ROUNDS = int(os.environ.get("FF_BENCH_ROUNDS", "10"))
PATHS = os.environ.get("FF_BENCH_LATENCY_PATHS", "serve,worker").split(",")
DATABASES = os.environ.get("FF_BENCH_LATENCY_DATABASES", "sqlite,postgres").split(",")
QUERY_SECONDS = os.environ.get("FF_BENCH_AGENT_QUERY_SECONDS", "2")
WORKER_ROUNDS: list[Round] = []
WORKER_SYNCED: list[float] = []


def _running_id(url: str, project: str) -> str:
    client = docker.DockerClient(base_url=url)
    try:
        found = client.containers.list(filters={"label": f"com.docker.compose.project={project}"})
        return found[0].id if found else ""
    finally:
        client.close()


def _floor(url: str, work: Path, rounds: int) -> list[float]:
    env = {**os.environ, "DOCKER_HOST": url}
    times = []
    for i in range(rounds):
        (work / "compose.yaml").write_text(compose(f"sleep {4000 + i}", str(_testbed()["base_image"])))
        started = time.perf_counter()
        subprocess.run(["docker", "compose", "-p", "floorbench", "up", "-d"], cwd=work, env=env,
                       check=True, capture_output=True)  # fmt: skip
        times.append(time.perf_counter() - started)
    subprocess.run(["docker", "compose", "-p", "floorbench", "down", "-t", "0"], cwd=work, env=env,
                   check=False, capture_output=True)  # fmt: skip
    return times


@contextmanager
def _prefect_api(root: Path, database_url: str | None) -> Iterator[str | None]:
    """A real ``prefect server start`` on ``database_url`` (None: SQLite); yields its API URL."""
    import shutil
    import sys

    from prefect.settings import PREFECT_API_URL, temporary_settings

    from tests.support.processes import PrefectServer

    prefect = shutil.which("prefect", path=str(Path(sys.executable).parent))
    assert prefect is not None
    server = PrefectServer(home=root, database_url=database_url).start(prefect)
    try:
        with temporary_settings({PREFECT_API_URL: server.api_url}):
            yield server.api_url
    finally:
        server.stop()


@contextmanager
def _database(kind: str) -> Iterator[str | None]:
    """None for SQLite, else a fresh database on the test bed's PostgreSQL."""
    if kind == "sqlite":
        yield None
        return
    from tests.support.postgres import fresh_database

    with fresh_database(str(_testbed()["postgres_url"])) as url:
        yield url


def _serve_path(url: str, image: str, root: Path, rounds: int) -> list[float]:
    """poll-repo in this process against the current Prefect API, ``rounds`` changes of one stack."""
    from fleetflow.runtime import context
    from flows.poll_repo import poll_repo

    os.environ["FLEETFLOW_HOME"] = str(root / "home")
    context.reset()
    remove_projects(url, ["alpha"])
    remote = GitRemote.create(root / "git")
    remote.commit("fleet", fleet_files({"h1": url}, image, stacks={"alpha": "h1"}))
    asyncio.run(poll_repo(repo=remote.url, resource_paths=["syncs"]))
    times: list[float] = []
    for i in range(rounds):
        before = _running_id(url, "alpha")
        remote.commit(f"change {i}", {"stacks/alpha/compose.yaml": compose(f"sleep {5000 + i}", image)})
        started = time.perf_counter()
        asyncio.run(poll_repo(repo=remote.url, resource_paths=["syncs"]))
        after = _running_id(url, "alpha")
        times.append(time.perf_counter() - started)
        if not after or after == before:
            raise RuntimeError("the changed stack was not redeployed")
    remove_projects(url, ["alpha"])
    return times


def _synced_until_running(url: str, before: str, sync: Callable[[], Any]) -> tuple[float, float, str]:
    """Run ``sync`` on a thread; (seconds until the new container runs, until the sync returned, its id)."""
    outcome: list[BaseException] = []
    settings = contextvars.copy_context()  # Prefect's temporary settings (the API URL) live in a context

    def target() -> None:
        try:
            settings.run(asyncio.run, sync())
        except BaseException as exc:
            outcome.append(exc)

    started = time.perf_counter()
    thread = threading.Thread(target=target, name="bench-sync")
    thread.start()
    running, seen = 0.0, ""
    while not running and thread.is_alive():
        now = _running_id(url, "alpha")
        if now and now != before:
            running, seen = time.perf_counter() - started, now
        else:
            time.sleep(0.05)
    thread.join()
    synced = time.perf_counter() - started
    if outcome:
        raise outcome[0]
    if not running:
        seen = _running_id(url, "alpha")
        running = synced
    return running, synced, seen


def _worker_path(url: str, image: str, root: Path, rounds: int) -> list[float]:
    """sync-resources here, fanned out to an agent on pool host-h1 (current Prefect API, FerretDB)."""
    import sys
    import uuid

    from prefect.settings import get_current_settings

    from fleetflow.runtime import context
    from flows.sync_resources import sync_resources
    from tests.support.processes import Process

    store_url = str(_testbed()["mongodb_url"]).rstrip("/") + f"/ff_bench_{uuid.uuid4().hex[:8]}"
    os.environ["FLEETFLOW_STORE_URL"] = store_url
    os.environ["FLEETFLOW_HOME"] = str(root / "core")
    context.reset()
    agent_home = root / "agent"
    agent_env = {
        "PREFECT_API_URL": str(get_current_settings().api.url),
        "PREFECT_HOME": str(agent_home / "prefect"),
        "DOCKER_HOST": url,
        "FLEETFLOW_STORE_URL": store_url,
        "FLEETFLOW_HOME": str(agent_home),
    }
    fleetflow = str(Path(sys.executable).parent / "fleetflow")
    argv = [fleetflow, "agent", "--server", "h1", "--query-seconds", QUERY_SECONDS]
    agent = Process(argv, root / "agent.log", agent_env).start()
    times: list[float] = []
    try:
        remote = GitRemote.create(root / "git-worker")
        head = remote.commit("fleet", fleet_files({"h1": ""}, image, stacks={"alpha": "h1"}))
        first = sync_resources(repo=remote.url, commit=head, resource_paths=["syncs"], fan_out="deployments")
        asyncio.run(first)
        for i in range(rounds):
            before = _running_id(url, "alpha")
            changed = {"stacks/alpha/compose.yaml": compose(f"sleep {6000 + i}", image)}
            head = remote.commit(f"change {i}", changed)
            wall = time.time()
            sync = functools.partial(
                sync_resources, repo=remote.url, commit=head, resource_paths=["syncs"], fan_out="deployments",
                changed_paths=list(changed),
            )  # fmt: skip
            running, synced, seen = _synced_until_running(url, before, sync)
            times.append(running)
            started = docker_started(url, seen)  # later rounds replace this container
            WORKER_ROUNDS.append(
                Round(triggered=wall, seen=wall + running, container=seen, stack="alpha", started=started)
            )
            WORKER_SYNCED.append(synced)
            if seen in ("", before):
                raise RuntimeError("the changed stack was not redeployed by the agent")
        collect(str(get_current_settings().api.url), url, WORKER_ROUNDS[-rounds:], ("sync", "deploy"))
    finally:
        agent.stop()
        context.store().drop_everything()
        os.environ.pop("FLEETFLOW_STORE_URL", None)
        context.reset()
        remove_projects(url, ["alpha"])
    return times


def run() -> list[dict[str, object]]:
    tb = _testbed()
    url = dict(tb["docker_hosts"])["host1"]  # type: ignore[call-overload]
    image = str(tb["base_image"])
    databases = [d for d in DATABASES if d == "sqlite" or tb.get("postgres_url")]
    medians: dict[tuple[str, str], float] = {}
    phases: list[dict[str, object]] = []
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="ff-bench-latency-") as tmp:
        root = Path(tmp)
        for db in databases:
            for path, measure in (("serve", _serve_path), ("worker", _worker_path)):
                if path not in PATHS:
                    continue
                work = root / f"{path}-{db}"
                with _database(db) as database_url, _prefect_api(work / "prefect", database_url):
                    medians[(path, db)] = statistics.median(measure(url, image, work, ROUNDS))
                if path == "worker":
                    phases += phase_rows(WORKER_ROUNDS[-ROUNDS:], "sync", f"worker ({db})")
                    synced = statistics.median(WORKER_SYNCED[-ROUNDS:])
                    name = f"worker ({db}): sync-resources returned (median)"
                    phases.append({"benchmark": name, "value": f"{synced:.2f}", "unit": "s",
                                   "note": "after the deploy-stack run ended"})  # fmt: skip
        floor_dir = root / "floor"
        floor_dir.mkdir()
        floor = statistics.median(_floor(url, floor_dir, ROUNDS))

    def row(benchmark: str, value: float, note: str) -> dict[str, object]:
        return {"benchmark": benchmark, "value": f"{value:.2f}", "unit": "s", "note": note}

    notes = {
        "serve": "poll-repo in process: fetch, plan, apply, deploy-stack, wait running",
        "worker": f"agent on pool host-h1 (query every {QUERY_SECONDS} s) + FerretDB store; until the "
        "new container runs",
    }
    rows = [
        row(f"push -> running, {path} path, Prefect on {db} (median of {ROUNDS})", medians[(path, db)], note)
        for db in databases
        for path, note in notes.items()
        if (path, db) in medians
    ]
    rows.append(row(f"floor: docker compose up -d (median of {ROUNDS})", floor, "same change, same daemon"))
    if ("serve", databases[-1]) in medians:
        best = medians[("serve", databases[-1])]
        rows.append(row(f"fleetflow + Prefect overhead per deploy (serve, {databases[-1]})", best - floor,
                        "the whole poll-repo run, health check included"))  # fmt: skip
    load = max(load, os.getloadavg()[0])
    rows.append({"benchmark": "machine load (1 min average, higher of start and end)", "value": f"{load:.1f}",
                 "unit": "", "note": ""})  # fmt: skip
    return rows + phases


if __name__ == "__main__":
    from benchmarks.__main__ import main

    raise SystemExit(main(["latency"]))
