"""The ``fleetflow`` command line (typer + rich)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from fleetflow import __version__
from fleetflow.errors import FleetflowError, NotImplementedYet

app = typer.Typer(
    name="fleetflow",
    help="GitOps for fleets of Docker hosts, on Prefect.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
err_console = Console(stderr=True)

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2


@app.command()
def version() -> None:
    """Print fleetflow's version."""
    typer.echo(__version__)


@app.command()
def reconcile(
    repo: Annotated[Path, typer.Argument(help="Path to the git repository with the resource files.")],
) -> None:
    """Reconcile REPO onto the local Docker engine once (embedded store, ephemeral Prefect).

    Example: fleetflow reconcile examples/homelab
    """
    if not repo.exists():
        raise FleetflowError(f"repository {repo} does not exist", hint="Pass the path of a checkout.")
    raise NotImplementedYet(
        f"reconcile of {repo} is not implemented yet (orchestration issue open).",
        hint="The test bed and local Docker engine are ready; see README for status.",
    )


def main() -> None:
    """Console entry point: one clear paragraph on error, traceback only with --debug."""
    debug = "--debug" in sys.argv
    if debug:
        sys.argv.remove("--debug")
    try:
        app()
    except FleetflowError as exc:
        if debug:
            raise
        err_console.print(f"[bold red]error:[/] {exc}")
        sys.exit(EXIT_ERROR)
