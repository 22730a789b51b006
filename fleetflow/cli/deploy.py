"""``fleetflow deploy``: register pools, deployments and schedules on a Prefect server."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from fleetflow.cli.common import RESOURCE_PATH_HELP, resolve_repo
from fleetflow.errors import FleetflowError


def deploy(
    repo: Annotated[str, typer.Argument(help="Git URL (or path) of the repository with the resource files.")],
    sync: Annotated[str, typer.Option(help="Name of this resource sync (deployment names use it).")] = "main",
    branch: Annotated[str, typer.Option(help="Tracked branch.")] = "main",
    resource_path: Annotated[
        list[str] | None,
        typer.Option("--resource-path", "-r", help=RESOURCE_PATH_HELP),
    ] = None,
    poll_seconds: Annotated[int, typer.Option(help="Poll interval.")] = 300,
) -> None:
    """Register fleetflow on the Prefect server at PREFECT_API_URL: pools, deployments, schedules.

    One pool host-<server> per enabled server (run `fleetflow agent --server NAME` on each host),
    plus poll-repo/SYNC every POLL_SECONDS and sync-resources/SYNC on pool fleetflow-core.

    Example: PREFECT_API_URL=http://core:4200/api fleetflow deploy /srv/git/homelab.git --sync homelab
    """
    import asyncio
    import os

    from deployments.register import ensure_fleet, register_core
    from fleetflow.runtime import context
    from fleetflow.runtime.prefect_api import prefect_api
    from tasks.resources import resolve_desired

    if not os.environ.get("PREFECT_API_URL"):
        raise FleetflowError("PREFECT_API_URL is not set", hint="Point it at your Prefect server's /api.")
    repo, paths = resolve_repo(repo, resource_path)
    from fleetflow.runtime.snapshot import open_snapshot

    snapshot = open_snapshot(repo, cache=context.repo_cache(), branch=branch)
    desired = resolve_desired(snapshot, paths)
    servers = [n for n, s in desired.resources.servers.items() if s.config.enabled]

    async def register() -> list[str]:
        report = await ensure_fleet(servers)
        core = await register_core(
            repo, sync_name=sync, branch=branch, resource_paths=paths, poll_seconds=poll_seconds
        )
        return [*report.deployments, *core]

    with prefect_api("registering pools and deployments"):
        registered = asyncio.run(register())
    table = Table(title=f"registered {len(registered)} deployment(s)")
    table.add_column("deployment")
    for name in registered:
        table.add_row(name)
    Console().print(table)
