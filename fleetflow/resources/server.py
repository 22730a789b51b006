"""``[[server]]`` config: how fleetflow reaches a host and when it alerts."""

from __future__ import annotations

from enum import StrEnum
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from fleetflow.resources.fields import StrList


class Reach(StrEnum):
    """How core reaches a server's Docker engine."""

    LOCAL = "local"
    SSH = "ssh"
    AGENT = "agent"


class SshAddress(BaseModel):
    """``ssh://user@host[:port]`` taken apart."""

    model_config = ConfigDict(frozen=True)

    user: str | None = None
    host: str
    port: int = 22


def parse_ssh(address: str) -> SshAddress:
    """Parse ``ssh://user@host[:port]``; raise ``ValueError`` naming what is wrong."""
    parts = urlsplit(address)
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"ssh address {address!r} has a bad port") from exc
    if not parts.hostname:
        raise ValueError(f"ssh address {address!r} has no host; write ssh://user@host[:port]")
    return SshAddress(user=parts.username or None, host=parts.hostname, port=port or 22)


class MaintenanceWindow(BaseModel):
    """A window in which alerts for the server are muted."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str = ""
    description: str = ""
    schedule_type: str = "Daily"
    day_of_week: str = ""
    date: str = ""
    hour: int = Field(default=0, ge=0, le=23)
    minute: int = Field(default=0, ge=0, le=59)
    duration_minutes: int = Field(default=60, ge=0)
    timezone: str = ""


class ServerConfig(BaseModel):
    """A Docker host: its address and alert thresholds (fleetflow defaults: enabled)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    address: str = Field(
        default="", description='"" or unix:///... = local engine; ssh://user@host = agentless.'
    )
    external_address: str = ""
    region: str = ""
    enabled: bool = True
    ignore_mounts: StrList = Field(default_factory=list)
    auto_prune: bool = True
    links: StrList = Field(default_factory=list)
    stats_monitoring: bool = True
    send_unreachable_alerts: bool = True
    send_cpu_alerts: bool = True
    send_mem_alerts: bool = True
    send_disk_alerts: bool = True
    send_version_mismatch_alerts: bool = True
    cpu_warning: float = Field(default=90.0, ge=0, le=100)
    cpu_critical: float = Field(default=99.0, ge=0, le=100)
    mem_warning: float = Field(default=75.0, ge=0, le=100)
    mem_critical: float = Field(default=95.0, ge=0, le=100)
    disk_warning: float = Field(default=75.0, ge=0, le=100)
    disk_critical: float = Field(default=95.0, ge=0, le=100)
    maintenance_windows: list[MaintenanceWindow] = Field(default_factory=list)
    # Komodo fields fleetflow accepts but does not use
    insecure_tls: bool = True
    passkey: str = ""
    auto_rotate_keys: bool = True

    @field_validator("address")
    @classmethod
    def _check_address(cls, value: str) -> str:
        value = value.strip()
        if value.startswith("ssh://") and "[[" not in value:  # [[NAME]] is checked once interpolated
            parse_ssh(value)
        return value

    @property
    def reach(self) -> Reach:
        """Local engine, SSH (agentless) or an agent / periphery URL."""
        if not self.address or self.address.startswith("unix://"):
            return Reach.LOCAL
        if self.address.startswith("ssh://"):
            return Reach.SSH
        return Reach.AGENT

    @property
    def ssh(self) -> SshAddress | None:
        """User, host and port when the server is reached over SSH."""
        return parse_ssh(self.address) if self.reach is Reach.SSH else None
