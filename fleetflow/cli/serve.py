"""``fleetflow serve``: single-box mode (schedules, webhook and API in one process)."""

from __future__ import annotations

from typing import Annotated

import typer

from fleetflow.cli.common import resolve_repo


def serve(
    repo: Annotated[str, typer.Argument(help="Path or git URL of the repository with the resource files.")],
    sync: Annotated[str, typer.Option(help="Name of this resource sync.")] = "main",
    branch: Annotated[str, typer.Option(help="Tracked branch.")] = "main",
    resource_path: Annotated[list[str] | None, typer.Option("--resource-path", "-r")] = None,
    poll_seconds: Annotated[int, typer.Option(help="Poll interval.")] = 300,
    webhook_port: Annotated[
        int, typer.Option(help="Push webhook port (needs FLEETFLOW_WEBHOOK_SECRET).")
    ] = 8088,
) -> None:
    """Single-box mode: poll on a schedule, accept push webhooks, run everything in this process.

    Example: FLEETFLOW_WEBHOOK_SECRET=... fleetflow serve /srv/git/homelab.git --sync homelab
    """
    from deployments.serve import run_serve

    repo, paths = resolve_repo(repo, resource_path)
    run_serve(
        repo,
        sync_name=sync,
        branch=branch,
        resource_paths=paths,
        poll_seconds=poll_seconds,
        webhook_port=webhook_port,
    )
