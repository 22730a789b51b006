"""Host checks, on the stack's server through its host connection (local engine or SSH).

One engine read (networks, volumes, running containers' published ports) and
one ``sh`` call for the absolute paths; the parsers are pure. An unreachable
host yields one finding for that server and nothing else fails.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from fleetflow.hosts.base import HostConnection
from fleetflow.validate.facts import Port, StackFacts
from fleetflow.validate.findings import Finding, Severity

PROJECT_LABEL = "com.docker.compose.project"
_MISSING_PATHS = 'for p; do [ -e "$p" ] || printf "%s\\n" "$p"; done'


@dataclass(frozen=True)
class Published:
    """A host port a running container publishes."""

    port: int
    proto: str
    host_ip: str
    container: str
    project: str


@dataclass
class HostFacts:
    """What the engine of one host has."""

    networks: set[str] = field(default_factory=set)
    volumes: set[str] = field(default_factory=set)
    published: list[Published] = field(default_factory=list)
    missing_paths: set[str] = field(default_factory=set)


def published_of(name: str, labels: dict[str, str], ports: dict[str, Any]) -> list[Published]:
    """Published host ports of one container from the engine's ``Ports`` mapping."""
    out = []
    for key, bindings in (ports or {}).items():
        port_proto = str(key).split("/")
        proto = port_proto[1] if len(port_proto) > 1 else "tcp"
        for b in bindings or []:
            try:
                host_port = int(b.get("HostPort") or 0)
            except ValueError:
                continue
            if host_port:
                out.append(
                    Published(
                        host_port, proto, str(b.get("HostIp") or ""), name, labels.get(PROJECT_LABEL, "")
                    )
                )
    return out


def _engine(host: HostConnection) -> HostFacts:
    facts = HostFacts()
    with host.docker() as client:
        facts.networks = {str(n.name) for n in client.networks.list()}
        facts.volumes = {str(v.name) for v in client.volumes.list()}
        for c in client.containers.list():
            facts.published += published_of(str(c.name), dict(c.labels or {}), c.ports)
    return facts


async def observe(host: HostConnection, paths: Sequence[str], *, timeout: float = 30) -> HostFacts:
    """Read the host's networks, volumes, published ports, and which of ``paths`` are missing."""
    facts = await asyncio.wait_for(asyncio.to_thread(_engine, host), timeout)
    if paths:
        result = await host.run(["sh", "-c", _MISSING_PATHS, "sh", *paths], timeout=timeout)
        facts.missing_paths = {line for line in result.stdout.splitlines() if line}
    return facts


def compare(server: str, stacks: Sequence[StackFacts], facts: HostFacts) -> list[Finding]:
    """Findings of ``stacks`` against what their host has."""
    out: list[Finding] = []
    for s in stacks:
        for net in s.external_networks:
            if net.value not in facts.networks:
                out.append(
                    Finding(
                        "host.network",
                        Severity.ERROR,
                        f"external network {net.value!r} does not exist on server {server!r}",
                        s.stack,
                        server,
                        net.file,
                        net.line,
                        f"Create it there (docker network create {net.value}) or drop external: true.",
                    )
                )
        for vol in s.external_volumes:
            if vol.value not in facts.volumes:
                out.append(
                    Finding(
                        "host.volume",
                        Severity.ERROR,
                        f"external volume {vol.value!r} does not exist on server {server!r}",
                        s.stack,
                        server,
                        vol.file,
                        vol.line,
                        f"Create it there (docker volume create {vol.value}) or drop external: true.",
                    )
                )
        for path in s.host_paths:
            if path.value in facts.missing_paths:
                out.append(
                    Finding(
                        "host.path",
                        Severity.ERROR,
                        f"host path {path.value!r} does not exist on server {server!r}",
                        s.stack,
                        server,
                        path.file,
                        path.line,
                        "Create it on the host or fix the path.",
                    )
                )
        for port in s.ports:
            for pub in facts.published:
                if pub.project == s.project or not port.overlaps(
                    Port(pub.host_ip, pub.port, pub.proto, port.at)
                ):
                    continue
                out.append(
                    Finding(
                        "host.port",
                        Severity.ERROR,
                        f"host port {port} on server {server!r} is taken by container {pub.container!r}"
                        + (f" of project {pub.project!r}" if pub.project else ""),
                        s.stack,
                        server,
                        port.at.file,
                        port.at.line,
                        "Publish another port, or stop that container.",
                    )
                )
                break
    return out


async def check_host(
    host: HostConnection, stacks: Sequence[StackFacts], *, timeout: float = 30
) -> list[Finding]:
    """Host findings of the stacks of one server; an unreachable host is one finding."""
    paths = sorted({p.value for s in stacks for p in s.host_paths})
    try:
        facts = await observe(host, paths, timeout=timeout)
    except Exception as exc:  # any failure (engine, SSH, timeout): report it, the other hosts go on
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return [
            Finding(
                "host.unreachable",
                Severity.ERROR,
                f"server {host.name!r} could not be checked: {reason[:200]}",
                server=host.name,
                hint="Check that the host is up and its engine (or SSH) is reachable.",
            )
        ]
    finally:
        close = getattr(host, "close", None)  # SSH hosts hold a connection
        if close is not None:
            with contextlib.suppress(Exception):
                await close()
    return compare(host.name, stacks, facts)
