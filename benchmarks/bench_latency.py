"""Change-to-running latency on the single-box (serve) path, next to the floor.

Each round commits a change to one stack's compose file in a real git remote,
then runs what a push webhook triggers — ``poll-repo`` in this process (fetch,
plan, apply, deploy-stack) — and stops the clock when the new container runs.
The floor is ``docker compose up -d`` of the same change on the same daemon.
Prefect overhead per deploy = the flow path minus the floor. Median of
``FF_BENCH_ROUNDS`` (default 10). The multi-host worker path adds the worker's
query interval (``--query-seconds``, default 10 s, median half of it) on top;
it is exercised by tests/e2e, not timed here.
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
    flow_median, floor_median = statistics.median(flow_times), statistics.median(floor)

    def row(benchmark: str, value: float, note: str) -> dict[str, object]:
        return {"benchmark": benchmark, "value": f"{value:.2f}", "unit": "s", "note": note}

    return [
        row(f"push -> running, serve path (median of {ROUNDS})", flow_median,
            "poll-repo in process: fetch, plan, apply, deploy-stack, wait running"),
        row(f"floor: docker compose up -d (median of {ROUNDS})", floor_median, "same change, same daemon"),
        row("fleetflow + Prefect overhead per deploy", flow_median - floor_median,
            "includes the 1 s settle window, compose config and pull --policy missing"),
    ]  # fmt: skip


if __name__ == "__main__":
    from benchmarks.__main__ import main

    raise SystemExit(main(["latency"]))
