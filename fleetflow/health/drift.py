"""Drift (pure): what a host runs versus the last good deploy of each of its stacks.

Rows are reports; only :attr:`DriftRow.healable` ones may be fixed by redeploying
the stack. Projects that no stack names are reported, never removed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from fleetflow.health.models import Container, ContainerState


class DriftKind(StrEnum):
    MISSING_STACK = "missing_stack"
    MISSING_SERVICE = "missing_service"
    STOPPED_SERVICE = "stopped_service"
    FINGERPRINT_MISMATCH = "fingerprint_mismatch"
    EXTRA_PROJECT = "extra_project"


HEALABLE = frozenset(
    {
        DriftKind.MISSING_STACK,
        DriftKind.MISSING_SERVICE,
        DriftKind.STOPPED_SERVICE,
        DriftKind.FINGERPRINT_MISMATCH,
    }
)
STOPPED = frozenset({ContainerState.EXITED, ContainerState.CREATED, ContainerState.RESTARTING})


class Expected(BaseModel):
    """A stack's last good deploy on its server: project and service -> fingerprint."""

    model_config = ConfigDict(frozen=True)

    stack: str
    server: str
    project: str
    services: Mapping[str, str] = Field(default_factory=dict)
    ignore_services: tuple[str, ...] = ()
    auto_update: bool = True
    auto_update_skip_services: tuple[str, ...] = Field(
        default=(), description="Services whose image updates never trigger an automatic redeploy."
    )


class DriftRow(BaseModel):
    """One difference between a host and its desired state."""

    model_config = ConfigDict(frozen=True)

    host: str
    stack: str = Field(description="Empty for a project no stack names.")
    project: str
    kind: DriftKind
    service: str = ""
    detail: str

    @property
    def healable(self) -> bool:
        return self.kind in HEALABLE


def _stack_drift(host: str, exp: Expected, containers: Sequence[Container]) -> list[DriftRow]:
    def row(kind: DriftKind, service: str, detail: str) -> DriftRow:
        return DriftRow(
            host=host, stack=exp.stack, project=exp.project, kind=kind, service=service, detail=detail
        )

    if not containers:
        return [row(DriftKind.MISSING_STACK, "", f"project {exp.project} has no containers on {host}")]
    by_service: dict[str, list[Container]] = {}
    for c in containers:
        by_service.setdefault(c.service, []).append(c)
    rows: list[DriftRow] = []
    for service, fingerprint in sorted(exp.services.items()):
        if service in exp.ignore_services:
            continue
        found = by_service.get(service, [])
        if not found:
            rows.append(row(DriftKind.MISSING_SERVICE, service, f"service {service} has no container"))
        for c in found:
            if c.state in STOPPED:
                rows.append(
                    row(
                        DriftKind.STOPPED_SERVICE,
                        service,
                        f"service {service} is {c.state.value} (exit code {c.exit_code})",
                    )
                )
            elif fingerprint and c.fingerprint != fingerprint:
                rows.append(
                    row(
                        DriftKind.FINGERPRINT_MISMATCH,
                        service,
                        f"service {service} runs another definition (started outside fleetflow?)",
                    )
                )
    return rows


def find_drift(host: str, expected: Sequence[Expected], containers: Sequence[Container]) -> list[DriftRow]:
    """Drift rows for ``host`` given its stacks' last good deploys and its containers."""
    by_project: dict[str, list[Container]] = {}
    for c in containers:
        if c.project:
            by_project.setdefault(c.project, []).append(c)
    rows: list[DriftRow] = []
    known = set()
    for exp in sorted(expected, key=lambda e: e.stack):
        if exp.server != host:
            continue
        known.add(exp.project)
        rows += _stack_drift(host, exp, by_project.get(exp.project, []))
    for project in sorted(set(by_project) - known):
        rows.append(
            DriftRow(
                host=host,
                stack="",
                project=project,
                kind=DriftKind.EXTRA_PROJECT,
                detail=f"project {project} is not in git (reported, not removed)",
            )
        )
    return rows


def stacks_to_heal(rows: Sequence[DriftRow], expected: Sequence[Expected]) -> list[str]:
    """Stacks with healable drift whose config allows automatic redeploys (``auto_update``)."""
    allowed = {e.stack for e in expected if e.auto_update}
    return sorted({r.stack for r in rows if r.healable and r.stack in allowed})


def stacks_to_update(updated: Collection[tuple[str, str, str]], expected: Sequence[Expected]) -> list[str]:
    """Stacks to redeploy for image updates: ``updated`` holds (server, project, service) with a newer
    image; a stack qualifies with ``auto_update`` on and an updated service not in
    ``auto_update_skip_services`` (Komodo's "skipped in the global auto-update flow")."""
    out = set()
    for e in expected:
        if not e.auto_update:
            continue
        if any(
            (server, project) == (e.server, e.project) and service not in e.auto_update_skip_services
            for server, project, service in updated
        ):
            out.add(e.stack)
    return sorted(out)
