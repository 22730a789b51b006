"""Alert rules (pure): facts, drift and updates in, the alerts that should be open out.

A condition that no longer holds simply yields no candidate; the manager then
resolves the open alert. Messages name the host, what is wrong and the number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fleetflow.alerts.models import FLEET, Candidate, alert_key
from fleetflow.health.drift import DriftKind, DriftRow
from fleetflow.health.models import ContainerState, HostFacts
from fleetflow.health.updates import ImageCheck, UpdateStatus
from fleetflow.resources import ServerConfig
from fleetflow.store import Severity

BAD_CONTAINER = {
    ContainerState.UNHEALTHY: Severity.WARNING,
    ContainerState.RESTARTING: Severity.WARNING,
    ContainerState.EXITED: Severity.WARNING,
}


def _threshold(value: float | None, warning: float, critical: float) -> Severity | None:
    if value is None:
        return None
    if value >= critical:
        return Severity.CRITICAL
    if value >= warning:
        return Severity.WARNING
    return None


def host_alerts(facts: HostFacts, config: ServerConfig) -> list[Candidate]:
    """Unreachable, CPU / memory / disk thresholds and containers in a bad state."""
    host = facts.host
    out: list[Candidate] = []

    def add(rule: str, subject: str, severity: Severity, message: str) -> None:
        out.append(
            Candidate(key=alert_key(host, rule, subject), host=host, severity=severity, message=message)
        )

    if not facts.reachable:
        if config.send_unreachable_alerts:
            add("unreachable", "", Severity.CRITICAL, f"host {host} is unreachable: {facts.error}")
        return out
    checks = [
        ("cpu", "CPU", facts.cpu_percent, config.cpu_warning, config.cpu_critical, config.send_cpu_alerts),
        ("mem", "memory", facts.mem_percent, config.mem_warning, config.mem_critical, config.send_mem_alerts),
    ]
    for rule, label, value, warn, crit, enabled in checks:
        if enabled and (sev := _threshold(value, warn, crit)) is not None:
            limit = crit if sev is Severity.CRITICAL else warn
            add(rule, "", sev, f"host {host}: {label} at {value:.1f}% (>= {sev.value} {limit:g}%)")
    if config.send_disk_alerts:
        for m in facts.mounts:
            if (sev := _threshold(m.percent, config.disk_warning, config.disk_critical)) is not None:
                limit = config.disk_critical if sev is Severity.CRITICAL else config.disk_warning
                add(
                    "disk",
                    m.mount,
                    sev,
                    f"host {host}: disk {m.mount} at {m.percent:.1f}% (>= {sev.value} {limit:g}%)",
                )
    for c in facts.containers:
        if (sev := BAD_CONTAINER.get(c.state)) is not None and not (
            c.state is ContainerState.EXITED and c.exit_code == 0
        ):
            where = f"{c.project}/{c.service}" if c.project else c.name
            add(
                "container",
                c.name or c.id,
                sev,
                f"host {host}: container {where} is {c.state.value} (exit code {c.exit_code})",
            )
    return out


def stack_alerts(host: str, drift: Sequence[DriftRow], unhealthy: Mapping[str, int]) -> list[Candidate]:
    """One alert per stack that has drifted or runs unhealthy containers (``unhealthy``: stack -> n)."""
    problems: dict[str, list[str]] = {}
    for row in drift:
        if row.stack and row.kind is not DriftKind.EXTRA_PROJECT:
            problems.setdefault(row.stack, []).append(row.detail)
    for stack, n in unhealthy.items():
        if n:
            problems.setdefault(stack, []).append(f"{n} container(s) unhealthy or restarting")
    return [
        Candidate(
            key=alert_key(host, "stack", stack),
            host=host,
            severity=Severity.CRITICAL,
            message=f"stack {stack} on {host} is not as deployed: " + "; ".join(why),
        )
        for stack, why in sorted(problems.items())
    ]


def update_alerts(checks: Sequence[ImageCheck]) -> list[Candidate]:
    """An info alert per service whose tag has a newer digest in its registry."""
    return [
        Candidate(
            key=alert_key(c.host, "update", f"{c.project}/{c.service}"),
            host=c.host,
            severity=Severity.INFO,
            message=f"image update available for {c.project}/{c.service} on {c.host}: {c.image} "
            f"({c.running_digest[:19]} -> {c.registry_digest[:19]})",
        )
        for c in checks
        if c.status is UpdateStatus.UPDATE_AVAILABLE
    ]


def fleet_alerts(
    deploys: Mapping[str, tuple[str, str]],
    syncs: Mapping[str, tuple[str, str]],
    pending: Mapping[str, str],
    backups: Mapping[str, str],
) -> list[Candidate]:
    """Fleet-wide: latest deploy failed / rolled back (stack -> (status, summary)), latest sync failed
    (sync -> (outcome, error)), changes pending without auto_update (stack -> why), backups failed."""
    out: list[Candidate] = []

    def add(rule: str, subject: str, severity: Severity, message: str) -> None:
        out.append(
            Candidate(key=alert_key(FLEET, rule, subject), host=FLEET, severity=severity, message=message)
        )

    for stack, (status, summary) in sorted(deploys.items()):
        if status in ("failed", "rolled_back"):
            add("deploy", stack, Severity.CRITICAL, f"last deploy of {stack} {status}: {summary}")
    for sync, (outcome, error) in sorted(syncs.items()):
        if outcome in ("failed", "partial"):
            add("sync", sync, Severity.WARNING, f"last sync {sync} {outcome}: {error or 'see the run'}")
    for stack, why in sorted(pending.items()):
        add("pending", stack, Severity.INFO, f"changes pending for {stack} (auto_update off): {why}")
    for what, error in sorted(backups.items()):
        add("backup", what, Severity.CRITICAL, f"backup {what} failed: {error}")
    return out
