"""Host connections: how fleetflow reaches a Docker host (local socket now, SSH later)."""

from fleetflow.hosts.base import TIMEOUT_EXIT, HostConnection, OnLine, RunResult, compose_argv
from fleetflow.hosts.local import LocalHost

__all__ = ["TIMEOUT_EXIT", "HostConnection", "LocalHost", "OnLine", "RunResult", "compose_argv"]
