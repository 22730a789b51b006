"""Fleet health round timings (target: a full round under 15 s, bounded memory).

- 3 real hosts: facts of the test-bed daemons (psutil + Docker SDK) + drift + alert rules;
- 300 simulated hosts: SSH-less fake hosts answer the SSH commands with captured outputs after
  a 20 ms delay, so the round measures fleetflow's own overhead (parse, drift, rules, alert dedup
  in an embedded store, roll-up); peak RSS via tracemalloc.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath

from rich.console import Console
from rich.table import Table

from fleetflow.alerts import RecordingNotifier, reconcile
from fleetflow.alerts.evaluate import round_candidates
from fleetflow.health import Expected, HostFacts, Target, collect_fleet, find_drift, fleet_rows
from fleetflow.health.collect import SEP
from fleetflow.hosts import LocalHost
from fleetflow.hosts.base import RunResult
from fleetflow.resources import ServerConfig
from fleetflow.store import open_store

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "unit" / "health" / "data"
N_SIM, LATENCY_S = 300, 0.02
HEARTBEAT_FP = "eec727920e739f24ecc67c90d3045a30962ea28bc661c22e5ffc253ee3d95768"  # label in docker_ps.jsonl


class FakeSshHost:
    """Answers the health commands from captured outputs (benchmark only: no SSH, no engine)."""

    def __init__(self, name: str, outputs: Mapping[str, str]) -> None:
        self.name = name
        self.stacks_root = PurePosixPath("/tmp")
        self._out = outputs

    async def run(self, argv: Sequence[str], **_: object) -> RunResult:
        await asyncio.sleep(LATENCY_S)
        key = "system" if argv[0] == "sh" else " ".join(argv[1:3])
        return RunResult(tuple(argv), 0, self._out.get(key, ""), "", LATENCY_S)


def _outputs() -> dict[str, str]:
    def read(name: str) -> str:
        return (DATA / name).read_text()

    system = f"{SEP}\n".join(
        read(n) for n in ("loadavg.txt", "uptime.txt", "meminfo.txt", "stat1.txt", "stat2.txt", "df.txt")
    )
    return {
        "system": system,
        "version --format": read("docker_version.json"),
        "ps -a": read("docker_ps.jsonl") * 5,
        "compose version": "2.40.3\n",
    }


async def _round(
    targets: list[Target], store_dir: Path, timeout: float
) -> tuple[list[HostFacts], int, float]:
    started = time.perf_counter()
    facts = await collect_fleet(targets, timeout=timeout, concurrency=64)
    collect_s = time.perf_counter() - started
    expected = [
        Expected(stack=f"s{i}", server=f.host, project="heartbeat", services={"heartbeat": HEARTBEAT_FP})
        for i, f in enumerate(facts)
    ]
    drift = [r for f in facts for r in find_drift(f.host, expected, f.containers)]
    configs = {f.host: ServerConfig() for f in facts}  # /srv/data at 80% >= disk_warning 75 on every host
    candidates = round_candidates(facts, configs, drift, [], expected, {}, {})
    with open_store(None, embedded_path=store_dir) as store:
        events = await reconcile(
            store, candidates, evaluated=[f.host for f in facts], notifier=RecordingNotifier()
        )
        for f in facts:
            store.record_health(f.host, f.sample())
    fleet_rows(facts, drift, {})
    return facts, len(events), collect_s


def _testbed_hosts() -> dict[str, str]:
    path = Path(os.environ.get("FF_TESTBED", ROOT / ".testbed" / "testbed.json"))
    hosts: dict[str, str] = json.loads(path.read_text())["docker_hosts"]
    return hosts


def run() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="ff-bench-health-") as tmp:
        real = [
            Target(LocalHost(n, stacks_root=Path(tmp), docker_host=u))
            for n, u in sorted(_testbed_hosts().items())
        ]
        started = time.perf_counter()
        facts, _, _ = asyncio.run(_round(real, Path(tmp) / "real", 20))
        took = time.perf_counter() - started
        ok = sum(f.reachable for f in facts)
        rows.append(
            {
                "benchmark": "health round, 3 real hosts",
                "value": round(took, 2),
                "unit": "s",
                "note": f"{ok}/3 reachable; target < 15 s",
            }
        )
        outputs = _outputs()
        sims = [Target(FakeSshHost(f"sim{i:03d}", outputs)) for i in range(N_SIM)]  # type: ignore[arg-type]
        started = time.perf_counter()
        facts, events, collect_s = asyncio.run(_round(sims, Path(tmp) / "sim", 20))
        took = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        rows.append(
            {
                "benchmark": f"health round, {N_SIM} simulated hosts",
                "value": round(took, 2),
                "unit": "s",
                "note": f"{sum(f.reachable for f in facts)} reachable, {events} alerts opened; "
                f"{LATENCY_S * 1000:g} ms per command; target < 15 s",
            }
        )
        rows.append(
            {
                "benchmark": f"health round, {N_SIM} hosts: facts only",
                "value": round(collect_s, 2),
                "unit": "s",
                "note": "collect + parse, 64 hosts at a time; the rest of the round is store writes",
            }
        )
        rows.append(
            {
                "benchmark": f"health round, {N_SIM} hosts: peak RSS",
                "value": round(peak / 2**20, 1),
                "unit": "MiB",
                "note": "whole benchmark process (ru_maxrss), Prefect not loaded",
            }
        )
    return rows


def main() -> None:
    table = Table(title="fleet health")
    for col in ("benchmark", "value", "unit", "note"):
        table.add_column(col)
    for row in run():
        table.add_row(*(str(row[c]) for c in ("benchmark", "value", "unit", "note")))
    Console().print(table)


if __name__ == "__main__":
    main()
