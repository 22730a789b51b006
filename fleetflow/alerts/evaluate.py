"""One round's alert candidates (pure): every rule over the round's facts, drift and updates."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fleetflow.alerts.models import Candidate
from fleetflow.alerts.rules import fleet_alerts, host_alerts, stack_alerts, update_alerts
from fleetflow.health.drift import DriftRow, Expected
from fleetflow.health.models import ContainerState, HostFacts
from fleetflow.health.updates import ImageCheck, UpdateStatus
from fleetflow.resources import ServerConfig

TROUBLE = (ContainerState.UNHEALTHY, ContainerState.RESTARTING)


def pending_changes(
    drift: Sequence[DriftRow], checks: Sequence[ImageCheck], expected: Sequence[Expected]
) -> dict[str, str]:
    """stack -> why, for stacks with auto_update off that drifted or have a newer image."""
    manual = {e.stack: e for e in expected if not e.auto_update}
    by_project = {(e.server, e.project): e.stack for e in manual.values()}
    why: dict[str, list[str]] = {}
    for row in drift:
        if row.healable and row.stack in manual:
            why.setdefault(row.stack, []).append(row.detail)
    for check in checks:
        stack = by_project.get((check.host, check.project))
        if stack and check.status is UpdateStatus.UPDATE_AVAILABLE:
            why.setdefault(stack, []).append(f"newer image for {check.service}")
    return {stack: "; ".join(reasons) for stack, reasons in why.items()}


def round_candidates(
    facts: Sequence[HostFacts],
    configs: Mapping[str, ServerConfig],
    drift: Sequence[DriftRow],
    checks: Sequence[ImageCheck],
    expected: Sequence[Expected],
    deploys: Mapping[str, tuple[str, str]],
    syncs: Mapping[str, tuple[str, str]],
    backups: Mapping[str, str] | None = None,
) -> list[Candidate]:
    """Every alert that should be open after this round."""
    out: list[Candidate] = []
    projects = {(e.server, e.project): e.stack for e in expected}
    for f in facts:
        out += host_alerts(f, configs.get(f.host, ServerConfig()))
        unhealthy: dict[str, int] = {}
        for c in f.containers:
            if (stack := projects.get((f.host, c.project))) is not None and c.state in TROUBLE:
                unhealthy[stack] = unhealthy.get(stack, 0) + 1
        out += stack_alerts(f.host, [r for r in drift if r.host == f.host], unhealthy)
    out += update_alerts(checks)
    out += fleet_alerts(deploys, syncs, pending_changes(drift, checks, expected), backups or {})
    return out
