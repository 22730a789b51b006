"""fleet-check and update-agents benchmarks: real diagnostics of many hosts, pure rules at 300 hosts.

Run: ``python -m benchmarks.bench_fleetcheck`` (needs the test bed's daemons and sshd).
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from fleetflow.fleetops.agents import UpdateOptions, plan_update
from fleetflow.fleetops.check import Thresholds, evaluate, observe
from fleetflow.fleetops.hosts import close_fleet
from fleetflow.fleetops.prefect_api import AgentInfo, AgentState
from fleetflow.fleetops.probe import Probe
from fleetflow.health import Container, ContainerState, HostFacts
from fleetflow.hosts.base import HostConnection
from fleetflow.hosts.connect import SshOptions, connect
from fleetflow.resources import ServerConfig

ROOT = Path(__file__).resolve().parents[1]
TESTBED = Path(os.environ.get("FF_TESTBED", ROOT / ".testbed" / "testbed.json"))
SSH_HOSTS = 20
SIMULATED = 300


def _row(name: str, value: float, unit: str, note: str) -> dict[str, object]:
    return {"benchmark": name, "value": round(value, 3), "unit": unit, "note": note}


def _fleet(testbed: dict[str, object], work: Path) -> dict[str, HostConnection]:
    hosts: dict[str, HostConnection] = {}
    for name, url in dict(testbed["docker_hosts"]).items():  # type: ignore[call-overload]
        hosts[name] = connect(name, url, stacks_root=work)
    ssh = dict(testbed["ssh"])  # type: ignore[call-overload]
    opts = SshOptions(key_path=Path(ssh["client_key"]), known_hosts=Path(ssh["known_hosts"]))
    address = f"ssh://{ssh['user']}@{ssh['host']}:{ssh['port']}"
    docker_host = dict(testbed["docker_hosts"])["host2"]  # type: ignore[call-overload]
    for i in range(SSH_HOSTS):
        hosts[f"ssh{i}"] = connect(
            f"ssh{i}", address, stacks_root=work, docker_host=docker_host, ssh_options=opts
        )
    return hosts


async def _observe(testbed: dict[str, object]) -> list[dict[str, object]]:
    with tempfile.TemporaryDirectory(prefix="ff-bench-fleetcheck-") as tmp:
        hosts = _fleet(testbed, Path(tmp))
        configs = {n: ServerConfig() for n in hosts}
        try:
            t = time.perf_counter()
            facts, probes = await observe(hosts, configs, timeout=60)
            cold = time.perf_counter() - t
            t = time.perf_counter()
            facts, probes = await observe(hosts, configs, timeout=60)
            warm = time.perf_counter() - t
        finally:
            await close_fleet(hosts)
    reachable = sum(p.reachable and facts[n].reachable for n, p in probes.items())
    ssh_lat = sorted(p.latency_ms or 0.0 for n, p in probes.items() if n.startswith("ssh"))
    load = f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    note = f"{reachable}/{len(hosts)} reachable (3 local daemons + {SSH_HOSTS} SSH)"
    return [
        _row(f"fleet-check observe {len(hosts)} hosts (cold)", cold, "s", note + ", new SSH connections"),
        _row(f"fleet-check observe {len(hosts)} hosts (warm)", warm, "s", "connections reused"),
        _row("ssh `true` latency p50 (under load)", ssh_lat[len(ssh_lat) // 2], "ms", f"load {load}"),
    ]


def _pure() -> list[dict[str, object]]:
    containers = tuple(
        Container(
            id=str(i), name=f"c{i}", state=ContainerState.RUNNING if i % 7 else ContainerState.RESTARTING
        )
        for i in range(20)
    )
    facts = HostFacts(host="h", reachable=True, containers=containers, cpu_percent=40, mem_percent=80)
    agent = AgentInfo(state=AgentState.ONLINE)
    probe = Probe(reachable=True, latency_ms=2.0, skew_s=0.1)
    t = time.perf_counter()
    for i in range(SIMULATED):
        evaluate(f"h{i}", ServerConfig(), facts, probe, agent, (), Thresholds())
    rules = time.perf_counter() - t
    t = time.perf_counter()
    plan = plan_update([f"h{i}" for i in range(SIMULATED)], UpdateOptions(version="1.4.2"))
    planned = time.perf_counter() - t
    return [
        _row(f"fleet-check rules, {SIMULATED} hosts x 20 containers", rules * 1000, "ms", "pure evaluate()"),
        _row(f"update-agents plan, {SIMULATED} hosts", planned * 1000, "ms", f"{len(plan.hosts) * 3} steps"),
    ]


def run() -> list[dict[str, object]]:
    """Benchmark rows for fleet-check diagnostics and update-agents planning."""
    testbed = json.loads(TESTBED.read_text())
    return asyncio.run(_observe(testbed)) + _pure()


def main() -> None:
    table = Table("benchmark", "value", "unit", "note", title="fleet-check / update-agents benchmarks")
    for row in run():
        table.add_row(*(str(row[k]) for k in ("benchmark", "value", "unit", "note")))
    Console().print(table)


if __name__ == "__main__":
    main()
