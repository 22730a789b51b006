"""Registry credentials for one deploy's pulls, never in the host's global Docker config.

Komodo runs ``docker login`` before a stack's pull. fleetflow instead writes a
temporary ``DOCKER_CONFIG`` directory on the host (``config.json`` mode 0600,
auth for that one registry, the host's CLI plugins linked in) used by ``pull``
and ``up`` of that deploy only, and removes it afterwards, whatever happened.
"""

from __future__ import annotations

import base64
import json
import posixpath
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fleetflow.deploy.models import DeploySpec
from fleetflow.hosts.base import HostConnection

AUTH_DIR = ".fleetflow-auth"
_LINK_PLUGINS = 'ln -s "${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins" "$1/cli-plugins"'


def docker_config(registry: str, account: str, token: str) -> bytes:
    """A Docker CLI ``config.json`` holding auth for ``registry`` alone."""
    auth = base64.b64encode(f"{account}:{token}".encode()).decode()
    return json.dumps({"auths": {registry: {"auth": auth}}}).encode()


@asynccontextmanager
async def registry_env(host: HostConnection, spec: DeploySpec) -> AsyncIterator[dict[str, str]]:
    """``{"DOCKER_CONFIG": dir}`` with the stack's registry auth while open; ``{}`` without one."""
    if not (spec.registry_provider and spec.registry_account and spec.registry_token is not None):
        yield {}
        return
    directory = posixpath.join(str(host.stacks_root), AUTH_DIR, f"{spec.stack}-{uuid.uuid4().hex[:12]}")
    config = docker_config(
        spec.registry_provider, spec.registry_account, spec.registry_token.get_secret_value()
    )
    try:
        await host.put_files(directory, {"config.json": config}, mode=0o600)
        await host.run(["sh", "-c", _LINK_PLUGINS, "sh", directory], timeout=30)
        yield {"DOCKER_CONFIG": directory}
    finally:
        await host.remove(directory)
