"""``fleetflow fleet check|pull|update-agents`` (typer sub-app ``fleet_app``).

Exit status (all three commands): 0 = every host OK; 1 = at least one host is not OK (check:
warn or fail; pull: diverged or failed; update-agents: a host failed); 2 = bad usage or the
operation could not run at all (e.g. a configuration error).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine, Sequence
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from fleetflow.errors import FleetflowError

EXIT_OK, EXIT_NOT_OK, EXIT_ERROR = 0, 1, 2

fleet_app = typer.Typer(
    name="fleet",
    help="Fleet-wide operations: diagnostics, git pulls on hosts, agent updates. "
    "Exit status: 0 all hosts OK, 1 a host is not OK, 2 usage or configuration error.",
    no_args_is_help=True,
)

ServersOpt = Annotated[
    list[str] | None, typer.Option("--server", "-s", help="Only this server (repeatable); default all.")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


def _run(make: Callable[[], Coroutine[Any, Any, dict[str, Any]]]) -> dict[str, Any]:
    """Run a flow once on embedded defaults; a fleetflow error prints and exits 2."""
    from fleetflow.runtime.local import quiet_prefect_defaults

    quiet_prefect_defaults()
    try:
        return asyncio.run(make())
    except FleetflowError as exc:
        Console(stderr=True).print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(EXIT_ERROR) from exc


def _print(result: dict[str, Any], rows: Sequence[dict[str, Any]], title: str, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(result, indent=2, default=str))
        return
    table = Table(title=title)
    columns = list(rows[0]) if rows else ["server"]
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(str(row.get(c, "")) for c in columns))
    Console().print(table)


@fleet_app.command("check")
def check(
    server: ServersOpt = None,
    as_json: JsonOpt = False,
    timeout: Annotated[float, typer.Option(help="Seconds each host may take.")] = 20.0,
) -> None:
    """Diagnose every host: metrics, Docker, containers, latency, clock skew, agent, failed runs.

    Exit status: 0 when every host is ok, 1 when any host is warn or fail, 2 on a usage or
    configuration error. Example: fleetflow fleet check --json
    """
    from flows.fleet_check import fleet_check

    result = _run(lambda: fleet_check(servers=server or None, timeout_s=timeout))
    _print(result, result["hosts"], f"fleet check: {result['status']}", as_json)
    if result["status"] != "ok":
        raise typer.Exit(EXIT_NOT_OK)


@fleet_app.command("pull")
def pull(
    path: Annotated[str, typer.Option("--path", help="Checkout path on each host; {server} = its name.")],
    server: ServersOpt = None,
    branch: Annotated[str | None, typer.Option(help="Branch to pull (default: the checked-out one).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Fast-forward a git checkout on every host (never merges or resets).

    Exit status: 0 when every host is updated or up to date, 1 when one diverged or failed,
    2 on a usage or configuration error. Example: fleetflow fleet pull --path /srv/homelab
    """
    from flows.pull_all_hosts import pull_all_hosts

    result = _run(lambda: pull_all_hosts(path=path, servers=server or None, branch=branch))
    _print(result, result["results"], "pull-all-hosts", as_json)
    if not result["ok"]:
        raise typer.Exit(EXIT_NOT_OK)


@fleet_app.command("update-agents")
def update_agents(
    version: Annotated[str | None, typer.Option(help="Exact fleetflow version; default latest.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan; run nothing.")] = False,
    server: ServersOpt = None,
    venv: Annotated[str, typer.Option(help="The agents' venv on the hosts.")] = "/opt/fleetflow/venv",
    pip_option: Annotated[
        list[str] | None,
        typer.Option("--pip-option", help="Extra pip option (repeatable), e.g. --index-url=URL."),
    ] = None,
    restart_command: Annotated[
        str, typer.Option(help="Restarts the agent; {server} = the server name.")
    ] = "systemctl restart fleetflow-agent-{server}",
    as_json: JsonOpt = False,
) -> None:
    """Upgrade fleetflow on agent hosts one at a time: pip in the venv, restart, wait for the worker.

    Stops at the first host that fails. Exit status: 0 when every host was updated (or the dry
    run planned), 1 when a host failed, 2 on a usage or configuration error.
    Example: fleetflow fleet update-agents --version 1.4.2 --dry-run
    """
    from flows.update_agents import update_agents as flow

    result = _run(
        lambda: flow(
            servers=server or None,
            version=version,
            dry_run=dry_run,
            venv=venv,
            pip_options=pip_option,
            restart_command=restart_command,
        )
    )
    _print(result, result["plan"] if dry_run else result["results"], "update-agents", as_json)
    if not result["ok"]:
        raise typer.Exit(EXIT_NOT_OK)
