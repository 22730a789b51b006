"""Checks of ``files_on_host`` stacks on their hosts, for a dry run: files there, or why not checked.

Load-time validation never reaches a host; a dry run does, for the stacks whose
compose files live there: each answer is ``ok: …``, ``error: …`` (the same
reading a deploy does), or ``not checked: host unreachable``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from fleetflow.deploy.host_files import host_dir, with_host_files
from fleetflow.errors import FleetflowError
from fleetflow.hosts.base import HostConnection
from fleetflow.resources import Desired, Reach
from fleetflow.runtime.hosts import connect_server
from fleetflow.runtime.snapshot import RepoSnapshot
from fleetflow.runtime.specs import deploy_spec
from fleetflow.settings import Settings

UNREACHABLE = "not checked: host unreachable"
VIA_AGENT = "not checked: the host is reached through its agent (checked there at deploy)"


def _ping(host: HostConnection) -> None:
    with host.docker() as client:
        client.ping()


async def check_host_files(
    desired: Desired,
    snapshot: RepoSnapshot,
    settings: Settings,
    names: Iterable[str],
    *,
    timeout_s: float = 10.0,
) -> dict[str, str]:
    """stack -> outcome of reading its files on its host, for the ``files_on_host`` stacks in ``names``."""
    out: dict[str, str] = {}
    for name in sorted(names):
        stack = desired.stacks[name]
        server = desired.resources.servers.get(stack.config.server)
        if not stack.config.files_on_host or server is None:
            continue
        if server.config.reach is Reach.AGENT:
            out[name] = VIA_AGENT
            continue
        host = connect_server(server, settings)
        try:
            await asyncio.wait_for(asyncio.to_thread(_ping, host), timeout=timeout_s)
        except Exception:  # any failure to reach the engine means the same here
            out[name] = UNREACHABLE
            continue
        spec = deploy_spec(name, desired, snapshot, timeout_s=timeout_s)
        try:
            found = await with_host_files(host, spec)
            where = host_dir(spec, host.stacks_root)
            out[name] = f"ok: {', '.join(found.file_paths)} and {len(found.files)} file(s) read in {where}"
        except FleetflowError as exc:
            out[name] = f"error: {exc}"
    return out
