"""Read a host's stacks back from its engine (labels) and wait for services to be ready."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Collection
from datetime import datetime
from typing import Any

import docker

from fleetflow.deploy.models import ServiceState
from fleetflow.errors import ComponentUnavailable, DeployFailed
from fleetflow.hosts.base import HostConnection

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
STACK_LABEL = "fleetflow.stack"
FINGERPRINT_LABEL = "fleetflow.fingerprint"
COMMIT_LABEL = "fleetflow.commit"
SKIP_LABEL = "komodo.skip"
_EXIT = re.compile(r"Exited \((-?\d+)\)")
_BAD = {"exited", "dead", "removing"}


def _state(raw: dict[str, Any]) -> ServiceState:
    labels: dict[str, str] = raw.get("Labels") or {}
    status = str(raw.get("Status", ""))
    health = ""
    for word in ("unhealthy", "healthy", "health: starting"):
        if f"({word})" in status:
            health = word.removeprefix("health: ")
            break
    exited = _EXIT.search(status)
    return ServiceState(
        service=labels.get(SERVICE_LABEL, ""),
        container_id=str(raw.get("Id", "")),
        state=str(raw.get("State", "")),
        health=health,
        fingerprint=labels.get(FINGERPRINT_LABEL, ""),
        commit=labels.get(COMMIT_LABEL, ""),
        exit_code=int(exited.group(1)) if exited else 0,
        skip=SKIP_LABEL in labels and labels[SKIP_LABEL].lower() != "false",
    )


def _list(host: HostConnection, filters: dict[str, Any]) -> list[dict[str, Any]]:
    try:
        with host.docker() as client:
            found: list[dict[str, Any]] = client.api.containers(all=True, filters=filters)
            return found
    except docker.errors.DockerException as exc:
        raise ComponentUnavailable(f"Docker on {host.name}: cannot list containers: {exc}") from exc


async def project_services(host: HostConnection, project: str) -> list[ServiceState]:
    """Every container of ``project`` on the host, sorted by service."""
    raws = await asyncio.to_thread(_list, host, {"label": f"{PROJECT_LABEL}={project}"})
    return sorted((_state(r) for r in raws), key=lambda s: (s.service, s.container_id))


async def read_host_state(host: HostConnection) -> dict[str, dict[str, ServiceState]]:
    """``{project: {service: state}}`` for every compose container; a scaled service shows its worst."""
    raws = await asyncio.to_thread(_list, host, {"label": PROJECT_LABEL})
    result: dict[str, dict[str, ServiceState]] = {}
    for raw in raws:
        project = (raw.get("Labels") or {}).get(PROJECT_LABEL, "")
        state = _state(raw)
        current = result.setdefault(project, {}).get(state.service)
        if current is None or (current.state == "running" and state.state != "running"):
            result[project][state.service] = state
    return result


def problem(state: ServiceState) -> str:
    """Why a container is not acceptable as deployed, or "" when it is running (and not unhealthy)."""
    if state.state in _BAD:
        return f"service {state.service} {state.state} (exit code {state.exit_code})"
    if state.state == "restarting":
        return f"service {state.service} is restarting (last exit code {state.exit_code})"
    if state.health == "unhealthy":
        return f"service {state.service} is unhealthy"
    return ""


def _started_at(host: HostConnection, ids: Collection[str]) -> dict[str, float]:
    """container id -> ``State.StartedAt`` as seconds since the epoch (host clock); missing ones left out."""
    found: dict[str, float] = {}
    try:
        with host.docker() as client:
            for container_id in ids:
                try:
                    raw = str(client.api.inspect_container(container_id)["State"]["StartedAt"])
                except docker.errors.NotFound:
                    continue
                if stamp := _epoch(raw):
                    found[container_id] = stamp
    except docker.errors.DockerException as exc:
        raise ComponentUnavailable(f"Docker on {host.name}: cannot inspect containers: {exc}") from exc
    return found


def _epoch(raw: str) -> float | None:
    """Docker's RFC 3339 time with nanoseconds (``2026-11-30T22:11:33.123456789Z``) as epoch seconds."""
    stamp, _, fraction = raw.rstrip("Z").partition(".")
    try:
        return datetime.fromisoformat(f"{stamp}.{(fraction + '000000')[:6]}+00:00").timestamp()
    except ValueError:
        return None


def running_for(started_at: float | None, now: float, up_since: float) -> float:
    """How long a container has surely been running at ``now`` (all wall-clock seconds).

    It started after ``up_since`` (when ``compose up`` began, our clock), so never more than
    ``now - up_since``, whatever the host's clock says; unknown start -> 0.
    """
    if started_at is None:
        return 0.0
    return max(0.0, min(now - started_at, now - up_since))


def _check_not_restarted(
    host: HostConnection,
    project: str,
    states: list[ServiceState],
    before: dict[str, float],
    after: dict[str, float],
) -> None:
    """A container restarted in place (restart policy) between two polls has a newer ``StartedAt``."""
    restarted = sorted({s.service for s in states if after.get(s.container_id) != before.get(s.container_id)})
    if restarted:
        why = "; ".join(f"service {name} restarted within the settle window" for name in restarted)
        raise DeployFailed(f"project {project} on {host.name}: {why}")


async def wait_ready(
    host: HostConnection,
    project: str,
    expected: Collection[str],
    *,
    timeout: float,
    settle: float = 1.0,
    poll: float = 0.1,
    up_since: float | None = None,
) -> list[ServiceState]:
    """Poll (every ``poll`` s) until every ``expected`` service runs (healthy where checked) and each of
    its containers has been running, the same container, for ``settle`` seconds; fail fast on exits.

    The settle window counts from each container's own start (``State.StartedAt``), bounded by
    ``up_since`` (wall clock when ``compose up`` began), not from when this poll first saw it: the
    time ``compose up`` spent after starting it counts, and an unchanged container does not wait
    longer than ``settle`` after ``up`` began. A container that exits or restarts within ``settle``
    seconds of its start is still caught: its state or id changes before the window closes, and a
    restart in place (restart policy) shows as a newer ``StartedAt`` in the final check.
    """
    deadline = time.monotonic() + timeout
    since = time.time() if up_since is None else up_since
    started: dict[str, float] = {}
    while True:
        states = await project_services(host, project)
        seen = {s.service: s for s in states if s.service in expected}
        problems = [p for s in seen.values() if (p := problem(s))]
        if problems:
            raise DeployFailed(f"project {project} on {host.name}: " + "; ".join(problems))
        waiting = [
            name
            for name in expected
            if name not in seen or seen[name].state != "running" or seen[name].health == "starting"
        ]
        ids = sorted(s.container_id for s in states if s.service in expected)
        remaining = settle
        if not waiting:
            if unknown := [i for i in ids if i not in started]:
                started |= await asyncio.to_thread(_started_at, host, unknown)
            now = time.time()
            remaining = settle - min((running_for(started.get(i), now, since) for i in ids), default=settle)
            if remaining <= 0:
                now_started = await asyncio.to_thread(_started_at, host, ids)
                ours = [s for s in states if s.service in expected]
                _check_not_restarted(host, project, ours, started, now_started)
                return states
        if time.monotonic() >= deadline:
            raise DeployFailed(
                f"project {project} on {host.name}: not running/healthy after {timeout:g} s: "
                + ", ".join(sorted(waiting) or ["(restarting)"]),
                hint="raise the stack's timeout or check the service's healthcheck",
            )
        await asyncio.sleep(min(poll, remaining) if not waiting else poll)
