"""fleet-check: diagnostics of every host, concurrently, with one status per host (ok / warn / fail).

Observe (host facts from :func:`fleetflow.health.collect_fleet`, the :mod:`probe`, the agent and
failed runs from the Prefect API) -> :func:`evaluate` (pure: facts in, status and reasons out) ->
:func:`check_rows` for the table artifact and the CLI report.

FAIL: host unreachable, Docker engine unreachable, agent offline, clock skew past ``skew_fail_s``,
CPU/memory/disk past the server's critical threshold. WARN: restarting or unhealthy containers,
failed runs in the window, no worker on the pool, agent state unknown, skew past ``skew_warn_s``,
latency past ``latency_warn_ms``, CPU/memory/disk past the warning threshold, partial facts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from fleetflow.fleetops.prefect_api import AgentInfo, AgentState
from fleetflow.fleetops.probe import Probe, probe_host
from fleetflow.health import ContainerState, HostFacts, Target, collect_fleet
from fleetflow.hosts.base import HostConnection
from fleetflow.resources import Reach, ServerConfig


class CheckStatus(StrEnum):
    """One host's verdict; ordered ok < warn < fail."""

    OK = "ok"
    WARN = "warn"
    FAIL = "fail"

    @property
    def rank(self) -> int:
        return ("ok", "warn", "fail").index(self.value)


@dataclass(frozen=True)
class Thresholds:
    """Limits that are not per server (those come from ``[server.config]``)."""

    skew_warn_s: float = 2.0
    skew_fail_s: float = 30.0
    latency_warn_ms: float = 500.0


class HostCheck(BaseModel):
    """The diagnostics of one host."""

    model_config = ConfigDict(frozen=True)

    server: str
    reach: Reach
    status: CheckStatus
    reasons: tuple[str, ...] = ()
    engine_version: str = ""
    containers: int = 0
    running: int = 0
    restarting: tuple[str, ...] = ()
    unhealthy: tuple[str, ...] = ()
    cpu_percent: float | None = None
    mem_percent: float | None = None
    disk_percent: float | None = None
    probe: Probe
    agent: AgentInfo
    failed_runs: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status is CheckStatus.OK


def _metric(name: str, value: float | None, warning: float, critical: float) -> tuple[CheckStatus, str]:
    if value is None or value < warning:
        return CheckStatus.OK, ""
    level = CheckStatus.FAIL if value >= critical else CheckStatus.WARN
    limit = critical if level is CheckStatus.FAIL else warning
    return level, f"{name} {value:.0f}% >= {limit:.0f}%"


def evaluate(
    server: str,
    config: ServerConfig,
    facts: HostFacts,
    probe: Probe,
    agent: AgentInfo,
    failures: Sequence[str] = (),
    limits: Thresholds = Thresholds(),
) -> HostCheck:
    """Pure: every finding of one host with its level; the worst level is the host's status."""
    found: list[tuple[CheckStatus, str]] = []
    fail, warn = CheckStatus.FAIL, CheckStatus.WARN
    if not probe.reachable:
        found.append((fail, f"unreachable: {probe.error}"))
    elif probe.error:
        found.append((warn, probe.error))
    if not facts.reachable:
        found.append((fail, f"docker: {facts.error or 'engine unreachable'}"))
    elif facts.error:
        found.append((warn, facts.error))
    if probe.skew_s is not None and abs(probe.skew_s) >= limits.skew_warn_s:
        level = fail if abs(probe.skew_s) >= limits.skew_fail_s else warn
        found.append((level, f"clock skew {probe.skew_s:+.1f} s"))
    if probe.latency_ms is not None and probe.latency_ms >= limits.latency_warn_ms:
        found.append((warn, f"latency {probe.latency_ms:.0f} ms"))
    for name, value, warning, critical in (
        ("cpu", facts.cpu_percent, config.cpu_warning, config.cpu_critical),
        ("mem", facts.mem_percent, config.mem_warning, config.mem_critical),
        ("disk", facts.disk_max, config.disk_warning, config.disk_critical),
    ):
        level, why = _metric(name, value, warning, critical)
        if why:
            found.append((level, why))
    restarting = tuple(c.name for c in facts.containers if c.state is ContainerState.RESTARTING)
    unhealthy = tuple(c.name for c in facts.containers if c.state is ContainerState.UNHEALTHY)
    if restarting:
        found.append((warn, f"restarting: {', '.join(restarting)}"))
    if unhealthy:
        found.append((warn, f"unhealthy: {', '.join(unhealthy)}"))
    if agent.state is AgentState.OFFLINE:
        found.append((fail, f"agent offline ({agent.detail})"))
    elif agent.state in (AgentState.MISSING, AgentState.UNKNOWN):
        found.append((warn, f"agent {agent.state.value}: {agent.detail}"))
    if failures:
        found.append((warn, f"{len(failures)} failed run(s) in 24 h"))
    status = max((level for level, _ in found), key=lambda s: s.rank, default=CheckStatus.OK)
    return HostCheck(
        server=server,
        reach=config.reach,
        status=status,
        reasons=tuple(why for _, why in found),
        engine_version=facts.engine_version,
        containers=len(facts.containers),
        running=facts.running,
        restarting=restarting,
        unhealthy=unhealthy,
        cpu_percent=facts.cpu_percent,
        mem_percent=facts.mem_percent,
        disk_percent=facts.disk_max,
        probe=probe,
        agent=agent,
        failed_runs=tuple(failures),
    )


async def observe(
    hosts: Mapping[str, HostConnection], configs: Mapping[str, ServerConfig], *, timeout: float = 20.0
) -> tuple[dict[str, HostFacts], dict[str, Probe]]:
    """Facts and probes of every host at once (facts and probe of one host run side by side)."""
    targets = [
        Target(h, tuple(configs[n].ignore_mounts), configs[n].stats_monitoring) for n, h in hosts.items()
    ]
    facts_list, probes = await asyncio.gather(
        collect_fleet(targets, timeout=timeout),
        asyncio.gather(*(probe_host(h, timeout=timeout) for h in hosts.values())),
    )
    return {f.host: f for f in facts_list}, dict(zip(hosts, probes, strict=True))


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}%"


def check_rows(checks: Sequence[HostCheck]) -> list[dict[str, object]]:
    """One table row per host (the ``fleet-check`` artifact and the CLI table)."""
    return [
        {
            "server": c.server,
            "status": c.status.value,
            "reach": c.reach.value,
            "latency_ms": "" if c.probe.latency_ms is None else c.probe.latency_ms,
            "skew_s": "" if c.probe.skew_s is None else c.probe.skew_s,
            "engine": c.engine_version,
            "containers": f"{c.running}/{c.containers}",
            "cpu": _pct(c.cpu_percent),
            "mem": _pct(c.mem_percent),
            "disk": _pct(c.disk_percent),
            "agent": c.agent.state.value,
            "failed_runs": len(c.failed_runs),
            "reasons": "; ".join(c.reasons),
        }
        for c in checks
    ]
