"""``fleetflow status``: fleet health now, one row per host."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from fleetflow.cli.common import EXIT_ERROR, prefect_api_for_one_shot


def status(
    server: Annotated[list[str] | None, typer.Option("--server", "-s", help="Only these servers.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Fleet health now: engine, containers, CPU/mem/disk, drift and open alerts per host.

    Exit status 1 when a host is unreachable or has drift. Example: fleetflow status
    """
    import asyncio

    from fleetflow.runtime.local import quiet_prefect_defaults

    quiet_prefect_defaults()
    prefect_api_for_one_shot()
    from fleetflow.runtime import context
    from fleetflow.runtime.history import backoffs
    from flows.health_check import health_check

    result: dict[str, Any] = asyncio.run(health_check(servers=server or None, check_updates=False))
    result["backoff"] = backoffs(context.store())
    if as_json:
        typer.echo(json.dumps(result, indent=2, default=str))
    else:
        rows: list[dict[str, Any]] = list(result.get("hosts", []))
        table = Table(title="fleet health")
        for column in rows[0].keys() if rows else ["host"]:
            table.add_column(str(column), overflow="fold")
        for row in rows:
            table.add_row(*(_cell(k, v) for k, v in row.items()))
        Console().print(table)
        for stack, wait in sorted(result["backoff"].items()):
            Console().print(
                f"{escape(stack)}: backing off after {wait['failures']} failed deploy(s), "
                f"next attempt at {wait['next_attempt']} (fleetflow reconcile --force retries now)"
            )
    hosts = result.get("hosts", [])
    if any(h.get("reachable") is not True or h.get("drift") for h in hosts):
        raise typer.Exit(EXIT_ERROR)


def _cell(column: str, value: Any) -> str:
    if column == "reachable":
        return "[green]yes[/]" if value is True else "[red]no[/]"
    return escape(str(value))
