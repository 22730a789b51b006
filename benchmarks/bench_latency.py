"""Change-to-running latency on the single-box (serve) path, next to the floor.

Each round commits a change to one stack's compose file in a real git remote,
then runs what a push webhook triggers — ``poll-repo`` in this process (fetch,
plan, apply, deploy-stack) — and stops the clock when the new container runs.
The floor is ``docker compose up -d`` of the same change on the same daemon.
Prefect overhead per deploy = the flow path minus the floor. Median of
``FF_BENCH_ROUNDS`` (default 10).

The multi-host worker path: a real ``prefect server start``, FerretDB as the
store, an agent (``fleetflow agent --server h1 --query-seconds 2``) on
test-bed host1; the sync runs here and fans out to pool ``host-h1``. Its
latency includes the agent's query interval (median about half of it) and the
flow run start in a fresh process.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import docker

from benchmarks.bench_deploy import _testbed
from tests.support.fleet import compose, fleet_files, remove_projects
from tests.support.gitrepo import GitRemote

ROUNDS = int(os.environ.get("FF_BENCH_ROUNDS", "10"))


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


def _worker_path(url: str, image: str, root: Path, rounds: int) -> list[float]:
    import shutil
    import sys
    import uuid

    from prefect.settings import PREFECT_API_URL, temporary_settings

    from fleetflow.runtime import context
    from flows.sync_resources import sync_resources
    from tests.support.processes import PrefectServer, Process

    prefect = shutil.which("prefect", path=str(Path(sys.executable).parent))
    assert prefect is not None
    server = PrefectServer(home=root / "prefect").start(prefect)
    store_url = f"mongodb://{_testbed()['mongodb_url']}".replace("mongodb://mongodb://", "mongodb://").rstrip(
        "/"
    )
    store_url += f"/ff_bench_{uuid.uuid4().hex[:8]}"
    os.environ["FLEETFLOW_STORE_URL"] = store_url
    os.environ["FLEETFLOW_HOME"] = str(root / "core")
    context.reset()
    agent_home = root / "agent"
    agent_env = {**server.env(), "DOCKER_HOST": url, "FLEETFLOW_STORE_URL": store_url,
                 "FLEETFLOW_HOME": str(agent_home), "PREFECT_HOME": str(agent_home / "prefect")}  # fmt: skip
    argv = [str(Path(sys.executable).parent / "fleetflow"), "agent", "--server", "h1", "--query-seconds", "2"]
    agent = Process(argv, root / "agent.log", agent_env).start()
    times: list[float] = []
    try:
        with temporary_settings({PREFECT_API_URL: server.api_url}):
            remote = GitRemote.create(root / "git-worker")
            head = remote.commit("fleet", fleet_files({"h1": ""}, image, stacks={"alpha": "h1"}))
            asyncio.run(
                sync_resources(repo=remote.url, commit=head, resource_paths=["syncs"], fan_out="deployments")
            )
            for i in range(rounds):
                before = _running_id(url, "alpha")
                changed = {"stacks/alpha/compose.yaml": compose(f"sleep {6000 + i}", image)}
                head = remote.commit(f"change {i}", changed)
                started = time.perf_counter()
                asyncio.run(sync_resources(repo=remote.url, commit=head, resource_paths=["syncs"],
                                           fan_out="deployments", changed_paths=list(changed)))  # fmt: skip
                times.append(time.perf_counter() - started)
                if _running_id(url, "alpha") in ("", before):
                    raise RuntimeError("the changed stack was not redeployed by the agent")
    finally:
        agent.stop()
        server.stop()
        context.store().drop_everything()
        os.environ.pop("FLEETFLOW_STORE_URL", None)
        context.reset()
        remove_projects(url, ["alpha"])
    return times


def run() -> list[dict[str, object]]:
    from prefect.testing.utilities import prefect_test_harness

    from fleetflow.runtime import context
    from flows.poll_repo import poll_repo

    tb = _testbed()
    url = dict(tb["docker_hosts"])["host1"]  # type: ignore[call-overload]
    image = str(tb["base_image"])
    with tempfile.TemporaryDirectory(prefix="ff-bench-latency-") as tmp:
        root = Path(tmp)
        os.environ["FLEETFLOW_HOME"] = str(root / "home")
        context.reset()
        remove_projects(url, ["alpha", "beta", "gamma"])
        remote = GitRemote.create(root / "git")
        remote.commit("fleet", fleet_files({"h1": url}, image, stacks={"alpha": "h1"}))
        flow_times: list[float] = []
        with prefect_test_harness():
            asyncio.run(poll_repo(repo=remote.url, resource_paths=["syncs"]))
            for i in range(ROUNDS):
                before = _running_id(url, "alpha")
                remote.commit(
                    f"change {i}", {"stacks/alpha/compose.yaml": compose(f"sleep {5000 + i}", image)}
                )
                started = time.perf_counter()
                asyncio.run(poll_repo(repo=remote.url, resource_paths=["syncs"]))
                after = _running_id(url, "alpha")
                flow_times.append(time.perf_counter() - started)
                if not after or after == before:
                    raise RuntimeError("the changed stack was not redeployed")
        remove_projects(url, ["alpha"])
        floor_dir = root / "floor"
        floor_dir.mkdir()
        floor = _floor(url, floor_dir, ROUNDS)
        context.reset()
        worker_times = _worker_path(url, image, root, ROUNDS)
    flow_median, floor_median = statistics.median(flow_times), statistics.median(floor)

    def row(benchmark: str, value: float, note: str) -> dict[str, object]:
        return {"benchmark": benchmark, "value": f"{value:.2f}", "unit": "s", "note": note}

    return [
        row(f"push -> running, serve path (median of {ROUNDS})", flow_median,
            "poll-repo in process: fetch, plan, apply, deploy-stack, wait running"),
        row(f"push -> running, worker path (median of {ROUNDS})", statistics.median(worker_times),
            "Prefect server + agent on pool host-h1 (query every 2 s) + FerretDB store"),
        row(f"floor: docker compose up -d (median of {ROUNDS})", floor_median, "same change, same daemon"),
        row("fleetflow + Prefect overhead per deploy", flow_median - floor_median,
            "includes the 1 s settle window, compose config and the pull check"),
    ]  # fmt: skip


if __name__ == "__main__":
    from benchmarks.__main__ import main

    raise SystemExit(main(["latency"]))
