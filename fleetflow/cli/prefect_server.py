"""``fleetflow prefect-server``: the local Prefect server that one-shot commands keep between runs."""

from __future__ import annotations

import typer

from fleetflow.runtime import context, local_server

prefect_server_app = typer.Typer(
    help="The local Prefect server kept between `reconcile`/`status` runs (when PREFECT_API_URL is unset).",
    no_args_is_help=True,
)


@prefect_server_app.command("status")
def status() -> None:
    """Print the local server's URL, or exit 1 when none is running."""
    server = local_server.running(context.settings().home)
    if server is None:
        typer.echo("no local Prefect server is running")
        raise typer.Exit(1)
    typer.echo(f"{server.url} (pid {server.pid})")


@prefect_server_app.command("stop")
def stop() -> None:
    """Stop the local server (the next command starts a new one)."""
    stopped = local_server.stop(context.settings().home)
    typer.echo("stopped" if stopped else "no local Prefect server was running")
