"""Observe hosts: one round of facts per host, concurrently, each bounded by a timeout.

A local engine is read with psutil and the Docker SDK; any other host (SSH) with
a few commands whose output goes to the pure parsers in :mod:`fleetflow.health.parse`.
Whatever fails becomes ``HostFacts.error``; nothing here raises for a bad host.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import docker
import psutil
import requests

from fleetflow.errors import FleetflowError
from fleetflow.health import parse
from fleetflow.health.models import Container, HostFacts, Mount
from fleetflow.hosts.base import HostConnection
from fleetflow.hosts.local import LocalHost

CPU_SAMPLE_S = 0.25
SEP = "--fleetflow-facts--"
SYSTEM_SCRIPT = (
    f"cat /proc/loadavg; echo {SEP}; cat /proc/uptime; echo {SEP}; cat /proc/meminfo; echo {SEP}; "
    f"head -1 /proc/stat; sleep {CPU_SAMPLE_S}; echo {SEP}; head -1 /proc/stat; echo {SEP}; df -P"
)


@dataclass(frozen=True)
class Target:
    """A host to observe and what the server config says about it."""

    host: HostConnection
    ignore_mounts: tuple[str, ...] = ()
    stats: bool = True


@dataclass(frozen=True)
class System:
    cpu: float
    mem: float
    mounts: tuple[Mount, ...]
    load: tuple[float, float, float]
    uptime: float


def parse_system(text: str, ignore: Sequence[str] = ()) -> System:
    """The output of :data:`SYSTEM_SCRIPT` -> CPU, memory, mounts, load, uptime."""
    parts = text.split(SEP + "\n")
    if len(parts) != 6:
        raise FleetflowError(f"system facts script printed {len(parts)} part(s), expected 6")
    load, uptime, meminfo, stat1, stat2, df = parts
    return System(
        cpu=parse.parse_cpu(stat1, stat2),
        mem=parse.parse_meminfo(meminfo),
        mounts=parse.parse_df(df, ignore),
        load=parse.parse_loadavg(load),
        uptime=parse.parse_uptime(uptime),
    )


def _local_system(ignore: Sequence[str]) -> System:
    mounts: list[Mount] = []
    seen: set[str] = set()
    for part in psutil.disk_partitions(all=False):
        if part.device in seen or not parse.keep_mount(part.mountpoint, part.fstype, ignore):
            continue
        seen.add(part.device)
        try:
            usage = psutil.disk_usage(part.mountpoint)
        except OSError:
            continue
        mounts.append(
            Mount(
                mount=part.mountpoint,
                device=part.device,
                total_bytes=usage.total,
                used_bytes=usage.used,
                percent=min(float(usage.percent), 100.0),
            )
        )
    load = os.getloadavg()
    return System(
        cpu=float(psutil.cpu_percent(interval=CPU_SAMPLE_S)),
        mem=float(psutil.virtual_memory().percent),
        mounts=tuple(mounts),
        load=(round(load[0], 2), round(load[1], 2), round(load[2], 2)),
        uptime=round(time.time() - psutil.boot_time(), 1),
    )


def _local_engine(host: LocalHost) -> tuple[str, str, tuple[Container, ...]]:
    try:
        with host.docker() as client:
            version: dict[str, Any] = client.version()
            raws: list[dict[str, Any]] = client.api.containers(all=True)
    except (docker.errors.DockerException, requests.RequestException, OSError) as exc:
        raise FleetflowError(f"Docker engine at {host.docker_host}: {type(exc).__name__}: {exc}") from exc
    return (
        str(version.get("Version", "")),
        str(version.get("ApiVersion", "")),
        tuple(parse.container(r) for r in raws),
    )


async def _remote_engine(host: HostConnection, timeout: float) -> tuple[str, str, tuple[Container, ...]]:
    version = await host.run(["docker", "version", "--format", "json"], timeout=timeout, check=False)
    if not version.ok and '"Server"' not in version.stdout:
        raise FleetflowError(f"Docker engine on {host.name}: {(version.stderr or version.stdout)[-300:]}")
    engine, api = parse.parse_docker_version(version.stdout)
    ps = await host.run(["docker", "ps", "-a", "--no-trunc", "--format", "json"], timeout=timeout)
    return engine, api, parse.parse_docker_ps(ps.stdout)


async def _compose_version(host: HostConnection, timeout: float) -> str:
    result = await host.run(["docker", "compose", "version", "--short"], timeout=timeout, check=False)
    return result.stdout.strip() if result.ok else ""


async def _observe(target: Target, timeout: float) -> HostFacts:
    host, started = target.host, time.perf_counter()
    local = isinstance(host, LocalHost)
    system: System | None = None
    errors: list[str] = []
    if target.stats:
        try:
            if isinstance(host, LocalHost):
                system = await asyncio.to_thread(_local_system, target.ignore_mounts)
            else:
                out = await host.run(["sh", "-c", SYSTEM_SCRIPT], timeout=timeout)
                system = parse_system(out.stdout, target.ignore_mounts)
        except FleetflowError as exc:
            if not local:  # no shell on the host: it is not reachable at all
                return HostFacts(
                    host=host.name,
                    reachable=False,
                    error=str(exc),
                    took_s=round(time.perf_counter() - started, 3),
                )
            errors.append(f"system facts: {exc}")
    try:
        if isinstance(host, LocalHost):
            engine, api, containers = await asyncio.to_thread(_local_engine, host)
        else:
            engine, api, containers = await _remote_engine(host, timeout)
        compose = await _compose_version(host, timeout)
        reachable = True
    except FleetflowError as exc:
        engine, api, containers, compose, reachable = "", "", (), "", False
        errors.append(str(exc))
    return HostFacts(
        host=host.name,
        reachable=reachable,
        error="; ".join(errors),
        engine_version=engine,
        api_version=api,
        compose_version=compose,
        containers=containers,
        cpu_percent=system.cpu if system else None,
        mem_percent=system.mem if system else None,
        mounts=system.mounts if system else (),
        load=system.load if system else None,
        uptime_s=system.uptime if system else None,
        took_s=round(time.perf_counter() - started, 3),
    )


async def collect_facts(target: Target, *, timeout: float = 20.0) -> HostFacts:
    """Facts of one host; an unreachable or slow host gives ``reachable=False`` and the reason."""
    started = time.perf_counter()
    try:
        return await asyncio.wait_for(_observe(target, timeout), timeout)
    except TimeoutError:
        error = f"no answer within {timeout:g} s"
    except FleetflowError as exc:
        error = str(exc)
    return HostFacts(
        host=target.host.name, reachable=False, error=error, took_s=round(time.perf_counter() - started, 3)
    )


async def collect_fleet(
    targets: Sequence[Target], *, timeout: float = 20.0, concurrency: int = 32
) -> list[HostFacts]:
    """Facts of every target, at most ``concurrency`` hosts at once, in the targets' order."""
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(target: Target) -> HostFacts:
        async with gate:
            return await collect_facts(target, timeout=timeout)

    return list(await asyncio.gather(*(one(t) for t in targets)))
