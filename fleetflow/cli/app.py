"""The ``fleetflow`` command line (typer + rich): the root app and its entry point."""

from __future__ import annotations

import sys

import typer
from rich.markup import escape

from fleetflow import __version__
from fleetflow.cli import (
    agent,
    backup,
    deploy,
    fleet,
    prefect_server,
    reconcile,
    serve,
    status,
    token,
    validate,
)
from fleetflow.cli.common import EXIT_ERROR, err_console
from fleetflow.errors import FleetflowError

app = typer.Typer(
    name="fleetflow",
    help="GitOps for fleets of Docker hosts, on Prefect.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.command()
def version() -> None:
    """Print fleetflow's version."""
    typer.echo(__version__)


app.command()(reconcile.reconcile)
app.command()(deploy.deploy)
app.command()(serve.serve)
app.command()(status.status)
app.command()(validate.validate)
app.add_typer(agent.agent_app, name="agent")
app.add_typer(backup.backup_app, name="backup", help="Mongo dumps, retention and Kopia snapshots.")
app.add_typer(backup.restore_app, name="restore", help="Restore a Mongo dump or files from a Kopia snapshot.")
app.add_typer(token.token_app, name="token", help="API tokens (viewer, operator, admin).")
app.add_typer(fleet.fleet_app, name="fleet", help="Fleet check, pull on hosts, agent updates.")
app.add_typer(prefect_server.prefect_server_app, name="prefect-server")


def main() -> None:
    """Console entry point: one clear paragraph on error, traceback only with --debug."""
    from fleetflow.runtime.prefect_server import quiet_env

    quiet_env()  # no Prefect analytics from any process fleetflow runs or starts
    debug = "--debug" in sys.argv
    if debug:
        sys.argv.remove("--debug")
    else:
        from fleetflow.runtime.local import quiet_run_logs

        quiet_run_logs()
    try:
        app()
    except FleetflowError as exc:
        if debug:
            raise
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}")
        sys.exit(EXIT_ERROR)
