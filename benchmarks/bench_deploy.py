"""Deploy engine timings on test-bed host1.

- first deploy of 20 one-service stacks with ``deploy`` vs bare ``docker compose up -d`` (the floor);
- no-change ``deploy_if_changed`` of 50 deployed stacks (target < 2 s total; must never call ``up``).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from rich.console import Console
from rich.table import Table

from fleetflow.deploy import DeploySpec, DeployStatus, InMemoryHistory, deploy, deploy_if_changed
from fleetflow.hosts import LocalHost

ROOT = Path(__file__).resolve().parents[1]
N_FIRST, N_NOCHANGE = 20, 50


def _testbed() -> dict[str, object]:
    path = Path(os.environ.get("FF_TESTBED", ROOT / ".testbed" / "testbed.json"))
    data: dict[str, object] = json.loads(path.read_text())
    return data


def _compose(image: str) -> bytes:
    return (
        f"services:\n  app:\n    image: {image}\n"
        "    command: [sh, -c, \"trap 'exit 0' TERM; sleep 600 & wait\"]\n"
    ).encode()


def _spec(name: str, image: str) -> DeploySpec:
    files = {"compose.yaml": _compose(image)}
    return DeploySpec(stack=name, server="host1", commit="c1", files=files, auto_pull=False, settle_s=0)


def _down(url: str, projects: list[str]) -> None:
    env = {**os.environ, "DOCKER_HOST": url}
    for p in projects:
        subprocess.run(
            ["docker", "compose", "-p", p, "down", "-t", "0"], env=env, capture_output=True, check=False
        )


def _floor(url: str, image: str, root: Path, names: list[str]) -> float:
    env = {**os.environ, "DOCKER_HOST": url}
    for name in names:
        (root / name).mkdir(parents=True)
        (root / name / "compose.yaml").write_bytes(_compose(image))
    started = time.perf_counter()
    for name in names:
        subprocess.run(
            ["docker", "compose", "-p", name, "up", "-d"],
            cwd=root / name,
            env=env,
            capture_output=True,
            check=True,
        )
    return time.perf_counter() - started


async def _bench(url: str, image: str, root: Path) -> list[dict[str, object]]:
    tag = uuid.uuid4().hex[:6]
    host = LocalHost("host1", stacks_root=root / "stacks", docker_host=url)
    floor_names = [f"ffbf-{tag}-{i}" for i in range(N_FIRST)]
    first_names = [f"ffbd-{tag}-{i}" for i in range(N_FIRST)]
    more_names = [f"ffbd-{tag}-{i}" for i in range(N_FIRST, N_NOCHANGE)]
    history = InMemoryHistory()
    try:
        floor = _floor(url, image, root / "floor", floor_names)
        started = time.perf_counter()
        for name in first_names:
            (await deploy(host, _spec(name, image), history)).raise_for_status()
        first = time.perf_counter() - started
        gate = asyncio.Semaphore(8)

        async def one(name: str) -> None:
            async with gate:
                (await deploy(host, _spec(name, image), history)).raise_for_status()

        await asyncio.gather(*(one(n) for n in more_names))
        specs = [_spec(n, image).model_copy(update={"commit": "c2"}) for n in first_names + more_names]
        started = time.perf_counter()
        results = [await deploy_if_changed(host, s, history) for s in specs]
        nochange = time.perf_counter() - started
        started = time.perf_counter()
        concurrent = await asyncio.gather(*(deploy_if_changed(host, s, history) for s in specs))
        nochange_concurrent = time.perf_counter() - started
        skipped = sum(r.status is DeployStatus.SKIPPED for r in [*results, *concurrent])
        if skipped != 2 * len(specs):
            raise RuntimeError(f"only {skipped} of {2 * len(specs)} no-change runs were skipped")
    finally:
        _down(url, floor_names + first_names + more_names)
    return [
        {"benchmark": f"bare `compose up -d`, {N_FIRST} stacks", "value": f"{floor:.2f}", "unit": "s",
         "note": "floor, sequential"},
        {"benchmark": f"first deploy, {N_FIRST} stacks", "value": f"{first:.2f}", "unit": "s",
         "note": f"{first / floor:.1f}x floor (config + labels + up + ready check, sequential)"},
        {"benchmark": f"no-change deploy_if_changed, {N_NOCHANGE} stacks", "value": f"{nochange:.2f}",
         "unit": "s", "note": "target < 2 s; all skipped, no compose call (sequential)"},
        {"benchmark": f"no-change deploy_if_changed, {N_NOCHANGE} stacks",
         "value": f"{nochange_concurrent:.2f}", "unit": "s", "note": "concurrent (asyncio.gather)"},
    ]  # fmt: skip


def run() -> list[dict[str, object]]:
    """Rows for the benchmark table (needs the test bed: `make testbed-up`)."""
    bed = _testbed()
    hosts = bed["docker_hosts"]
    if not isinstance(hosts, dict):
        raise RuntimeError("testbed.json has no docker_hosts; run `make testbed-up`")
    url = str(hosts["host1"])
    with tempfile.TemporaryDirectory(prefix="ff-bench-deploy-") as tmp:
        return asyncio.run(_bench(url, str(bed["base_image"]), Path(tmp)))


if __name__ == "__main__":
    table = Table("benchmark", "value", "unit", "note", title="deploy")
    for row in run():
        table.add_row(*(str(row.get(k, "")) for k in ("benchmark", "value", "unit", "note")))
    Console().print(table)
