"""Which connection reaches a server: the local engine, this host's agent, or SSH.

On an agent the stack's server *is* this machine, so "agent" servers use the
local engine (``DOCKER_HOST`` of the worker, or the default socket); a
``unix://`` address names a local socket; ``ssh://`` goes over SSH from core,
with core's key and known_hosts from ``FLEETFLOW_SSH_*``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from fleetflow.hosts.base import HostConnection
from fleetflow.hosts.connect import SshOptions, connect
from fleetflow.resources import Reach, Server
from fleetflow.settings import Settings


class SshSettings(BaseSettings):
    """How core reaches agentless servers (``FLEETFLOW_SSH_KEY_PATH``, ``FLEETFLOW_SSH_KNOWN_HOSTS``, ...)."""

    model_config = SettingsConfigDict(env_prefix="FLEETFLOW_SSH_", extra="ignore")

    key_path: Path | None = Field(default=None, description="Private key file; default ~/.ssh keys, agent.")
    known_hosts: Path | None = Field(
        default=None, description="known_hosts file; default ~/.ssh/known_hosts."
    )
    insecure_skip_host_key_check: bool = Field(
        default=False, description="Accept any host key (logged as a warning); throwaway hosts only."
    )
    docker_host: str | None = Field(
        default=None, description="The engine on SSH hosts; default unix:///var/run/docker.sock."
    )
    connect_timeout_s: float = Field(default=15.0, gt=0, description="Connect and authenticate timeout.")

    def options(self) -> SshOptions:
        """The :class:`SshOptions` these settings describe."""
        return SshOptions(
            key_path=self.key_path,
            known_hosts=self.known_hosts,
            insecure_skip_host_key_check=self.insecure_skip_host_key_check,
            connect_timeout_s=self.connect_timeout_s,
        )


def connect_server(server: Server, settings: Settings, ssh: SshSettings | None = None) -> HostConnection:
    """A host connection for ``server`` (never opened until first used)."""
    address = server.config.address
    if server.config.reach is Reach.SSH:
        ssh = ssh or SshSettings()
        return connect(
            server.name,
            address,
            stacks_root=settings.resolved_stacks_root,
            docker_host=ssh.docker_host,
            ssh_options=ssh.options(),
        )
    if server.config.reach is Reach.AGENT:
        address = ""
    return connect(server.name, address, stacks_root=settings.resolved_stacks_root)


def is_agentless(server: Server | None) -> bool:
    """Whether ``server`` is reached over SSH from core (no agent, no pool)."""
    return server is not None and server.config.reach is Reach.SSH
