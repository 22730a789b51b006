"""``fleetflow reconcile``: plan, apply and deploy a repository once, on embedded defaults."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from fleetflow.cli.common import (
    EXIT_ERROR,
    err_console,
    outcome_table,
    prefect_api_for_one_shot,
    resolve_repo,
)
from fleetflow.errors import FleetflowError

if TYPE_CHECKING:
    from prefect.client.schemas.objects import State


def reconcile(
    repo: Annotated[str, typer.Argument(help="Path or git URL of the repository with the resource files.")],
    resource_path: Annotated[
        list[str] | None, typer.Option("--resource-path", "-r", help="File or folder to read (repeatable).")
    ] = None,
    branch: Annotated[str, typer.Option(help="Branch to deploy (git repositories).")] = "main",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan, change nothing.")] = False,
    force: Annotated[bool, typer.Option(help="Deploy every stack even when unchanged.")] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="Apply nothing when any stack fails validation.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    keep_server: Annotated[
        bool | None,
        typer.Option(
            "--local-server/--temporary-server",
            help="Without PREFECT_API_URL: reuse a local Prefect server kept between runs (the default, "
            "unless FLEETFLOW_PREFECT=temporary), or start a temporary one inside this command.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Reconcile REPO onto its servers once: plan, apply, deploy what changed, print a summary.

    Runs on embedded defaults: a local Prefect API kept between runs (or
    PREFECT_API_URL) and the embedded state store (FLEETFLOW_HOME, default
    ~/.fleetflow). Servers with an empty or unix:// address use the local
    Docker engine (DOCKER_HOST).

    Example: fleetflow reconcile examples/homelab
    """
    from fleetflow.runtime.local import quiet_prefect_defaults

    quiet_prefect_defaults()
    prefect_api_for_one_shot(keep_server=keep_server)
    try:
        repo, paths = resolve_repo(repo, resource_path)
        result = _run_sync(repo, branch=branch, paths=paths, dry_run=dry_run, force=force, strict=strict)
    except FleetflowError as exc:
        if not as_json:
            raise
        result = {"error": str(exc)}
    if as_json:
        typer.echo(json.dumps(result, indent=2, default=str))
    else:
        _print_result(result, dry_run=dry_run)
    if result.get("error"):
        raise typer.Exit(EXIT_ERROR)


def _run_sync(
    repo: str, *, branch: str, paths: list[str], dry_run: bool, force: bool, strict: bool = False
) -> dict[str, Any]:
    import asyncio

    from fleetflow.runtime.report import sync_result_from_store
    from fleetflow.runtime.warm_runner import shared_clients
    from flows.sync_resources import sync_resources

    async def run() -> State[dict[str, Any]]:
        async with shared_clients():  # one API client for the flow and all its tasks
            return await sync_resources(
                repo=repo,
                branch=branch,
                resource_paths=paths,
                dry_run=dry_run,
                force=force,
                strict=strict,
                return_state=True,
            )

    state = asyncio.run(run())
    if state.is_completed():
        result: dict[str, Any] = state.result()
        return result
    try:
        state.result()
    except FleetflowError as exc:
        warnings = list(getattr(exc, "warnings", []))
        recorded = {"plan": [], "stacks": {}} if dry_run else sync_result_from_store(repo)
        return {**recorded, "error": str(exc), "warnings": warnings}
    except Exception as exc:
        raise FleetflowError(f"sync of {repo} crashed: {type(exc).__name__}: {exc}") from exc
    return {**sync_result_from_store(repo), "error": state.message or "sync failed"}


def _print_result(result: dict[str, Any], *, dry_run: bool) -> None:
    from fleetflow.runtime.report import outcome_rows

    console = Console()
    plan_rows = result.get("plan", [])
    changes = [r for r in plan_rows if r.get("action") not in ("no-change",)]
    if changes:
        table = Table(title="plan")
        columns = ("kind", "name", "action", "field", "old", "new", "reason")
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in changes:
            table.add_row(*(str(row.get(c, "")) for c in columns))
        console.print(table)
    elif plan_rows:
        console.print("plan: every resource matches the state DB")
    warnings = result.get("warnings") or []
    if warnings:
        console.print(f"[yellow]{len(warnings)} warning(s):[/]")
        for warning in warnings:
            console.print(f"  ! {warning}", markup=False, highlight=False, style="yellow")
    if dry_run:
        for stack, outcome in sorted((result.get("host_files") or {}).items()):
            console.print(f"files on host of {stack}: {outcome}", markup=False, highlight=False)
    rows = outcome_rows(result.get("stacks", {}))
    commit = str(result.get("commit", ""))[:12]
    if rows:
        title = f"stacks that would deploy at {commit}" if dry_run else f"stacks at {commit}"
        console.print(outcome_table(title, rows))
    elif dry_run and not result.get("error"):
        console.print(f"no stack would deploy at {commit}: every stack's inputs match its last good deploy")
    if result.get("error"):
        err_console.print(f"[bold red]error:[/] {escape(str(result['error']))}")
