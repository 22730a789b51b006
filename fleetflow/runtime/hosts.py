"""Which connection reaches a server: the local engine, this host's agent, or SSH.

On an agent the stack's server *is* this machine, so "agent" servers use the
local engine (``DOCKER_HOST`` of the worker, or the default socket); a
``unix://`` address names a local socket; ``ssh://`` goes over SSH.
"""

from __future__ import annotations

from fleetflow.hosts.base import HostConnection
from fleetflow.hosts.connect import connect
from fleetflow.resources import Reach, Server
from fleetflow.settings import Settings


def connect_server(server: Server, settings: Settings) -> HostConnection:
    """A host connection for ``server`` (never opened until first used)."""
    address = server.config.address
    if server.config.reach is Reach.AGENT:
        address = ""
    return connect(server.name, address, stacks_root=settings.resolved_stacks_root)
