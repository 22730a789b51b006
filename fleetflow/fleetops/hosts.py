"""Connections for fleet operations run from core: every chosen server, SSH ones with core's key.

Agentless servers (``ssh://``) are reached with the SSH settings read from ``FLEETFLOW_SSH_*``
(key file, known_hosts, the remote ``DOCKER_HOST``); every other server is this machine's engine,
as :func:`fleetflow.runtime.hosts.connect_server` decides. Nothing is opened until first used.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Collection, Mapping

from fleetflow.health import desired
from fleetflow.hosts.base import HostConnection
from fleetflow.hosts.connect import connect
from fleetflow.resources import Reach, Server
from fleetflow.runtime.hosts import SshSettings, connect_server
from fleetflow.settings import Settings
from fleetflow.store import StateStore


def chosen_servers(store: StateStore, names: Collection[str] | None) -> list[Server]:
    """Applied, enabled servers (None = all); an unknown name is this machine's engine."""
    return desired.servers(store, names)


def connect_fleet(
    servers: Collection[Server], settings: Settings, ssh: SshSettings | None = None
) -> dict[str, HostConnection]:
    """server name -> connection: SSH servers with ``ssh`` (default: from the environment)."""
    ssh = ssh or SshSettings()
    return {server.name: connect_server(server, settings, ssh) for server in servers}


async def close_fleet(hosts: Mapping[str, HostConnection]) -> None:
    """Close the connections that hold one open (SSH); errors on close are ignored."""
    closers = [close() for h in hosts.values() if callable(close := getattr(h, "close", None))]
    with contextlib.suppress(Exception):
        await asyncio.gather(*closers, return_exceptions=True)


def has_agent(server: Server) -> bool:
    """Agentless servers are the ``ssh://`` ones; every other server runs an agent (a worker)."""
    return server.config.reach is not Reach.SSH


def connect_agent_hosts(
    servers: Collection[Server], settings: Settings, ssh: SshSettings | None = None
) -> dict[str, HostConnection]:
    """Where each agent runs: ``external_address`` when it is ``ssh://…``, else this machine."""
    ssh = ssh or SshSettings()
    hosts: dict[str, HostConnection] = {}
    for server in servers:
        external = server.config.external_address.strip()
        if external.startswith("ssh://"):
            hosts[server.name] = connect(
                server.name,
                external,
                stacks_root=settings.resolved_stacks_root,
                docker_host=ssh.docker_host,
                ssh_options=ssh.options(),
            )
        else:
            hosts[server.name] = connect(server.name, "", stacks_root=settings.resolved_stacks_root)
    return hosts
