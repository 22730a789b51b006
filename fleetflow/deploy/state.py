"""Read a host's stacks back from its engine (labels) and wait for services to be ready."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Collection
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


async def wait_ready(
    host: HostConnection,
    project: str,
    expected: Collection[str],
    *,
    timeout: float,
    settle: float = 1.0,
    poll: float = 0.2,
) -> list[ServiceState]:
    """Poll until every ``expected`` service runs (healthy where checked) and keeps running, unchanged,
    for ``settle`` seconds (a service that crashes right after start is caught); fail fast on exits."""
    deadline = time.monotonic() + timeout
    ready_since: tuple[float, set[str]] | None = None
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
        ids = {s.container_id for s in seen.values()}
        now = time.monotonic()
        if waiting or ready_since is None or ready_since[1] != ids:
            ready_since = None if waiting else (now, ids)
        elif now - ready_since[0] >= settle:
            return states
        if now >= deadline:
            raise DeployFailed(
                f"project {project} on {host.name}: not running/healthy after {timeout:g} s: "
                + ", ".join(sorted(waiting) or ["(restarting)"]),
                hint="raise the stack's timeout or check the service's healthcheck",
            )
        await asyncio.sleep(min(poll, settle) if not waiting else poll)
