"""What the health check learns about a host: frozen, JSON-ready facts.

An unreachable host is a fact too (``reachable=False`` with the error), never an
exception: the fleet round always yields one :class:`HostFacts` per host.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class ContainerState(StrEnum):
    """How a container is counted (``unhealthy`` wins over ``running``)."""

    RUNNING = "running"
    EXITED = "exited"
    RESTARTING = "restarting"
    UNHEALTHY = "unhealthy"
    PAUSED = "paused"
    CREATED = "created"
    OTHER = "other"


class Container(BaseModel):
    """One container as the engine lists it (compose labels pulled out)."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str = ""
    image: str = ""
    project: str = Field(default="", description="Compose project label; empty = not compose.")
    service: str = ""
    state: ContainerState
    exit_code: int = 0
    fingerprint: str = Field(default="", description="fleetflow.fingerprint label.")


class Mount(BaseModel):
    """Usage of one mounted filesystem."""

    model_config = ConfigDict(frozen=True)

    mount: str
    device: str = ""
    total_bytes: int = Field(ge=0)
    used_bytes: int = Field(ge=0)
    percent: float = Field(ge=0, le=100)


class HostFacts(BaseModel):
    """One sample of one host: engine, containers, resources."""

    model_config = ConfigDict(frozen=True)

    host: str
    reachable: bool
    error: str = Field(default="", description="Why the host or a part of it could not be read.")
    engine_version: str = ""
    api_version: str = ""
    compose_version: str = ""
    containers: tuple[Container, ...] = ()
    cpu_percent: float | None = None
    mem_percent: float | None = None
    mounts: tuple[Mount, ...] = ()
    load: tuple[float, float, float] | None = None
    uptime_s: float | None = None
    took_s: float = 0.0

    def counts(self) -> dict[str, dict[str, int]]:
        """``{project: {state: n}}`` (``""`` = containers outside compose)."""
        out: dict[str, dict[str, int]] = {}
        for c in self.containers:
            per = out.setdefault(c.project, {})
            per[c.state.value] = per.get(c.state.value, 0) + 1
        return out

    @property
    def running(self) -> int:
        return sum(c.state is ContainerState.RUNNING for c in self.containers)

    @property
    def unhealthy(self) -> int:
        return sum(c.state is ContainerState.UNHEALTHY for c in self.containers)

    @property
    def disk_max(self) -> float | None:
        """The fullest mount's percentage (None when no mount was read)."""
        return max((m.percent for m in self.mounts), default=None)

    def sample(self) -> dict[str, object]:
        """The document stored as a health sample (counts instead of every container)."""
        doc = self.model_dump(mode="json", exclude={"containers"})
        doc["counts"] = self.counts()
        return doc
