"""What the cross-stack and host checks need from a stack's rendered compose model."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_SHORT_PORT = re.compile(
    r"^(?:(?P<ip>\[[^\]]+\]|[^:\[\]]+):)??(?:(?P<host>[0-9]+(?:-[0-9]+)?):)?"
    r"(?P<target>[0-9]+(?:-[0-9]+)?)(?:/(?P<proto>[a-z]+))?$"
)
MAX_RANGE = 1024


@dataclass(frozen=True)
class At:
    """A value and where it is written."""

    value: str
    file: str
    line: int | None


@dataclass(frozen=True)
class Port:
    """A published host port: address, number, protocol, where it is written."""

    host_ip: str
    port: int
    proto: str
    at: At

    def overlaps(self, other: Port) -> bool:
        wild = {"", "0.0.0.0", "::"}  # noqa: S104 - compose's "all addresses", compared, never bound
        same_ip = self.host_ip == other.host_ip or self.host_ip in wild or other.host_ip in wild
        return self.port == other.port and self.proto == other.proto and same_ip

    def __str__(self) -> str:
        ip = f"{self.host_ip}:" if self.host_ip else ""
        return f"{ip}{self.port}/{self.proto}"


@dataclass
class StackFacts:
    """Host-visible names and resources one stack uses."""

    stack: str
    server: str
    project: str
    ports: list[Port] = field(default_factory=list)
    container_names: list[At] = field(default_factory=list)
    external_networks: list[At] = field(default_factory=list)
    external_volumes: list[At] = field(default_factory=list)
    host_paths: list[At] = field(default_factory=list)
    """Absolute bind sources and config/secret files on the host."""


def _range(text: str) -> list[int]:
    first, _, last = text.partition("-")
    lo, hi = int(first), int(last or first)
    return list(range(lo, hi + 1)) if 0 <= hi - lo < MAX_RANGE else [lo]


def published(entry: Any) -> list[tuple[str, int, str]]:
    """(host ip, host port, protocol) of one ``ports`` entry; empty when no fixed host port."""
    if isinstance(entry, int):
        return []
    if isinstance(entry, dict):
        pub = entry.get("published")
        if pub in (None, ""):
            return []
        ip = str(entry.get("host_ip") or "")
        proto = str(entry.get("protocol") or "tcp")
        try:
            return [(ip, p, proto) for p in _range(str(pub))]
        except ValueError:
            return []
    if not isinstance(entry, str):
        return []
    m = _SHORT_PORT.match(entry.strip())
    if not m or not m.group("host"):
        return []
    ip = (m.group("ip") or "").strip("[]")
    proto = m.group("proto") or "tcp"
    return [(ip, p, proto) for p in _range(m.group("host"))]
