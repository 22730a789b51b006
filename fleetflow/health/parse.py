"""Pure parsers for the command outputs an SSH host gives (``/proc``, ``df -P``, ``docker``).

Each takes the raw text one command printed and returns typed values; a
malformed output raises :class:`~fleetflow.errors.FleetflowError` naming the
command, so a collector can report it as the host's error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from typing import Any

from fleetflow.errors import FleetflowError
from fleetflow.health.models import Container, ContainerState, Mount

PSEUDO_FS = frozenset({"tmpfs", "devtmpfs", "overlay", "shm", "none", "udev", "proc", "sysfs", "cgroup"})
PSEUDO_ROOTS = ("/proc", "/sys", "/dev", "/run", "/var/lib/docker", "/snap")
_EXIT = re.compile(r"Exited \((-?\d+)\)")


def _bad(what: str, text: str) -> FleetflowError:
    snippet = text.strip().splitlines()[0][:80] if text.strip() else "(empty)"
    return FleetflowError(f"cannot parse {what}: {snippet!r}", hint="check the command on that host")


def parse_loadavg(text: str) -> tuple[float, float, float]:
    """``/proc/loadavg`` -> the 1, 5 and 15 minute load averages."""
    parts = text.split()
    try:
        return float(parts[0]), float(parts[1]), float(parts[2])
    except (IndexError, ValueError) as exc:
        raise _bad("/proc/loadavg", text) from exc


def parse_uptime(text: str) -> float:
    """``/proc/uptime`` -> seconds since boot."""
    try:
        return float(text.split()[0])
    except (IndexError, ValueError) as exc:
        raise _bad("/proc/uptime", text) from exc


def parse_meminfo(text: str) -> float:
    """``/proc/meminfo`` -> memory in use, percent (``MemTotal - MemAvailable``)."""
    values: dict[str, int] = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if rest.split():
            values[key.strip()] = int(rest.split()[0])
    total, available = values.get("MemTotal", 0), values.get("MemAvailable")
    if total <= 0 or available is None:
        raise _bad("/proc/meminfo", text)
    return round(100.0 * (total - available) / total, 1)


def cpu_times(text: str) -> tuple[int, int]:
    """The aggregate ``cpu`` line of ``/proc/stat`` -> (busy, total) jiffies."""
    for line in text.splitlines():
        fields = line.split()
        if fields and fields[0] == "cpu":
            try:
                nums = [int(v) for v in fields[1:]]
            except ValueError as exc:
                raise _bad("/proc/stat", text) from exc
            idle = nums[3] + (nums[4] if len(nums) > 4 else 0)
            total = sum(nums[:8])
            return total - idle, total
    raise _bad("/proc/stat", text)


def parse_cpu(first: str, second: str) -> float:
    """CPU busy percent between two ``/proc/stat`` samples (0 when no time passed)."""
    busy1, total1 = cpu_times(first)
    busy2, total2 = cpu_times(second)
    if total2 <= total1:
        return 0.0
    return round(100.0 * max(0, busy2 - busy1) / (total2 - total1), 1)


def keep_mount(mount: str, device: str, ignore: Collection[str]) -> bool:
    """False for pseudo filesystems, container layers and mounts the server ignores."""
    if device in PSEUDO_FS or mount in ignore:
        return False
    if any(mount == i.rstrip("/") or mount.startswith(i.rstrip("/") + "/") for i in ignore if i != "/"):
        return False
    return not any(mount == r or mount.startswith(r + "/") for r in PSEUDO_ROOTS)


def parse_df(text: str, ignore: Collection[str] = ()) -> tuple[Mount, ...]:
    """``df -P`` (1024-byte blocks) -> real mounts, one per device (the first mount seen)."""
    lines = text.strip().splitlines()
    if not lines or not lines[0].startswith("Filesystem"):
        raise _bad("df -P", text)
    mounts: list[Mount] = []
    seen: set[str] = set()
    for line in lines[1:]:
        parts = line.split(None, 5)
        if len(parts) < 6:
            continue
        device, blocks, used, avail, _pct, mount = parts
        try:
            total_k, used_k, avail_k = int(blocks), int(used), int(avail)
        except ValueError:
            continue
        if total_k == 0 or device in seen or not keep_mount(mount, device, ignore):
            continue
        seen.add(device)
        usable = used_k + avail_k
        percent = round(100.0 * used_k / usable, 1) if usable else 0.0
        mounts.append(
            Mount(
                mount=mount,
                device=device,
                total_bytes=total_k * 1024,
                used_bytes=used_k * 1024,
                percent=min(percent, 100.0),
            )
        )
    return tuple(mounts)


def parse_docker_version(text: str) -> tuple[str, str]:
    """``docker version --format json`` -> (engine version, API version)."""
    try:
        server = json.loads(text).get("Server") or {}
    except (json.JSONDecodeError, AttributeError) as exc:
        raise _bad("docker version --format json", text) from exc
    if not server.get("Version"):
        raise _bad("docker version --format json (no Server part: is the engine up?)", text)
    return str(server["Version"]), str(server.get("ApiVersion", ""))


def container_state(state: str, status: str) -> ContainerState:
    """Docker's State plus the health in its Status text -> one counted state."""
    if state == "running":
        return ContainerState.UNHEALTHY if "(unhealthy)" in status else ContainerState.RUNNING
    try:
        return ContainerState(state)
    except ValueError:
        return ContainerState.EXITED if state == "dead" else ContainerState.OTHER


def _labels(raw: Any) -> Mapping[str, str]:
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items()}
    out: dict[str, str] = {}
    key = ""
    for part in str(raw or "").split(","):  # "a=b,c=d" (values may hold commas: glue them back)
        if "=" in part:
            key, _, value = part.partition("=")
            out[key] = value
        elif key:
            out[key] += "," + part
    return out


def container(raw: Mapping[str, Any]) -> Container:
    """One container from ``docker ps --format json`` or the API's container list."""
    labels = _labels(raw.get("Labels"))
    status = str(raw.get("Status", ""))
    exited = _EXIT.search(status)
    names = raw.get("Names")
    name = names[0].lstrip("/") if isinstance(names, list) and names else str(names or "")
    return Container(
        id=str(raw.get("ID") or raw.get("Id") or "")[:12],
        name=name,
        image=str(raw.get("Image", "")),
        project=labels.get("com.docker.compose.project", ""),
        service=labels.get("com.docker.compose.service", ""),
        state=container_state(str(raw.get("State", "")), status),
        exit_code=int(exited.group(1)) if exited else 0,
        fingerprint=labels.get("fleetflow.fingerprint", ""),
    )


def parse_docker_ps(text: str) -> tuple[Container, ...]:
    """``docker ps -a --format json`` (one JSON object per line) -> containers."""
    found: list[Container] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            found.append(container(json.loads(line)))
        except (json.JSONDecodeError, AttributeError) as exc:
            raise _bad("docker ps -a --format json", line) from exc
    return tuple(found)
