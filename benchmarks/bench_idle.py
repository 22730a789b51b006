"""What an idle agent costs: CPU share and RSS of ``fleetflow agent`` (warm and ``--cold``).

A real ``prefect server start`` (SQLite) and one agent process for a server
with a registered pool and no work; CPU is measured over ``FF_BENCH_IDLE_SECONDS``
(default 60) at the default query interval (10 s), the Prefect server's own
share printed beside it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench_webhook import _row, idle_cost
from tests.support.processes import PrefectServer, Process

IDLE_SECONDS = float(os.environ.get("FF_BENCH_IDLE_SECONDS", "60"))


def _idle(argv: list[str], server: PrefectServer, root: Path, name: str) -> tuple[float, float, float]:
    env = {**os.environ, **server.env(), "FLEETFLOW_HOME": str(root / name), "PREFECT_HOME": str(root / name)}
    agent = Process(argv, root / f"{name}.log", env).start()
    try:
        time.sleep(15.0)  # imports, first poll and heartbeat are start-up, not idle
        return idle_cost(agent, server, IDLE_SECONDS)
    finally:
        agent.stop()


def run() -> list[dict[str, object]]:
    from prefect.settings import temporary_settings

    from fleetflow.runtime.pools import ensure_pool

    prefect = shutil.which("prefect", path=str(Path(sys.executable).parent))
    fleetflow = shutil.which("fleetflow", path=str(Path(sys.executable).parent))
    assert prefect
    assert fleetflow
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
