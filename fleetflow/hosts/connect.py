"""Pick a host connection from a server's ``address``: the local engine or an agentless SSH host.

``""`` or ``unix:///path/docker.sock`` is a Docker engine on this machine (:class:`LocalHost`);
``ssh://user@host[:port]`` is reached over SSH (:class:`SshHost`), with the remote engine at
``docker_host`` (default ``unix:///var/run/docker.sock``). The rest of fleetflow only sees a
:class:`~fleetflow.hosts.base.HostConnection`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from fleetflow.errors import ConfigError
from fleetflow.hosts.base import HostConnection
from fleetflow.hosts.local import LocalHost

DEFAULT_REMOTE_DOCKER = "unix:///var/run/docker.sock"


class SshOptions(BaseModel):
    """How to authenticate to an SSH host; secrets stay ``SecretStr`` and never print."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key_path: Path | None = Field(
        default=None, description="Private key file; with no key at all, ~/.ssh keys and the agent."
    )
    key: SecretStr | None = Field(
        default=None, description="Private key text (e.g. from a Prefect Secret block); wins over key_path."
    )
    passphrase: SecretStr | None = Field(default=None, description="Passphrase of an encrypted key.")
    known_hosts: Path | None = Field(
        default=None, description="known_hosts file checked against the host key; default ~/.ssh/known_hosts."
    )
    insecure_skip_host_key_check: bool = Field(
        default=False, description="Accept any host key (logged as a warning). Only for throwaway hosts."
    )
    connect_timeout_s: float = Field(default=15.0, gt=0, description="Connect and authenticate timeout.")
    keepalive_s: float = Field(default=30.0, ge=0, description="Keepalive interval; 0 disables it.")


@dataclass(frozen=True)
class SshAddress:
    """``ssh://user@host[:port]`` split into its parts."""

    user: str
    host: str
    port: int = 22

    def __str__(self) -> str:
        return f"ssh://{self.user}@{self.host}:{self.port}"


def parse_ssh_address(address: str) -> SshAddress:
    """Parse ``ssh://user@host[:port]``; a wrong address raises :class:`ConfigError` saying why."""
    hint = "write the server address as ssh://user@host or ssh://user@host:port"
    if "[[" in address:
        raise ConfigError(
            f"server address {address!r} still names a [[variable]] with no value",
            hint="define the variable, or provide the secret outside git (FLEETFLOW_SECRET_<NAME>)",
        )
    try:
        parts = urlsplit(address)
    except ValueError as exc:
        raise ConfigError(f"server address {address!r} is not a URL", hint=hint) from exc
    if parts.scheme != "ssh" or not parts.hostname:
        raise ConfigError(f"server address {address!r} is not an ssh:// URL with a host", hint=hint)
    if parts.password is not None:
        raise ConfigError("server address must not carry a password", hint="use key authentication")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigError(f"server address {address!r} has a path or query", hint=hint)
    if not parts.username:
        raise ConfigError(f"server address {address!r} names no user", hint=hint)
    try:
        port = parts.port or 22
    except ValueError as exc:
        raise ConfigError(f"server address {address!r} has a bad port", hint=hint) from exc
    return SshAddress(unquote(parts.username), parts.hostname, port)


def connect(
    server_name: str,
    address: str,
    *,
    stacks_root: Path | str,
    docker_host: str | None = None,
    ssh_options: SshOptions | None = None,
) -> HostConnection:
    """The host connection for a server: local for ``""``/``unix://…``, SSH for ``ssh://…``.

    Nothing is opened here; an SSH connection is made on first use and then reused.
    """
    address = address.strip()
    if address.startswith("ssh://"):
        from fleetflow.hosts.ssh import SshHost

        return SshHost(
            server_name,
            parse_ssh_address(address),
            stacks_root=str(stacks_root),
            docker_host=docker_host or DEFAULT_REMOTE_DOCKER,
            options=ssh_options or SshOptions(),
        )
    if address == "" or address.startswith("unix://"):
        return LocalHost(server_name, stacks_root=Path(stacks_root), docker_host=address or docker_host)
    raise ConfigError(
        f"server {server_name!r}: address {address!r} is neither empty, unix:// nor ssh://",
        hint="use an empty address (agent), unix:///path/docker.sock (local) or ssh://user@host[:port]",
    )
