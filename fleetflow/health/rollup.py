"""The fleet roll-up table (pure): one row per host, the same in the artifact and the terminal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fleetflow.health.drift import DriftRow
from fleetflow.health.models import HostFacts


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}%"


def fleet_rows(
    facts: Sequence[HostFacts], drift: Sequence[DriftRow], alerts: Mapping[str, int]
) -> list[dict[str, object]]:
    """Rows: host, reachable (a bool), engine, running/total, unhealthy, cpu, mem, disk max, drift, alerts,
    and the full reason a host is unreachable (empty when it is reachable).
    """
    drift_count: dict[str, int] = {}
    for row in drift:
        drift_count[row.host] = drift_count.get(row.host, 0) + 1
    return [
        {
            "host": f.host,
            "reachable": f.reachable,
            "engine": f.engine_version or "-",
            "containers": f"{f.running}/{len(f.containers)}",
            "unhealthy": f.unhealthy,
            "cpu": _pct(f.cpu_percent),
            "mem": _pct(f.mem_percent),
            "disk max": _pct(f.disk_max),
            "drift": drift_count.get(f.host, 0),
            "alerts": alerts.get(f.host, 0),
            "reason": "" if f.reachable else f.error or "unreachable",
        }
        for f in sorted(facts, key=lambda f: f.host)
    ]


def drift_rows(drift: Sequence[DriftRow]) -> list[dict[str, object]]:
    """The drift table: one row per difference."""
    return [
        {
            "host": r.host,
            "stack": r.stack or "-",
            "project": r.project,
            "kind": r.kind.value,
            "service": r.service or "-",
            "detail": r.detail,
        }
        for r in drift
    ]
