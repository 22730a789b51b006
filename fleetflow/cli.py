"""The ``fleetflow`` command line (typer + rich)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from fleetflow import __version__
from fleetflow.errors import FleetflowError

if TYPE_CHECKING:
    from prefect.client.schemas.objects import State

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


def _outcome_table(title: str, rows: list[dict[str, str]]) -> Table:
    table = Table(title=title)
    for column in ("stack", "server", "status", "commit", "reason"):
        table.add_column(column, overflow="fold")
    styles = {
        "good": "green",
        "skipped": "dim",
        "failed": "red",
        "rolled_back": "yellow",
        "destroyed": "cyan",
    }
    for row in rows:
        status = row["status"]
        table.add_row(
            row["stack"],
            row["server"],
            f"[{styles.get(status, '')}]{status}[/]",
            row["commit"],
            row["reason"],
        )
    return table


@app.command()
def reconcile(
    repo: Annotated[str, typer.Argument(help="Path or git URL of the repository with the resource files.")],
    resource_path: Annotated[
        list[str] | None, typer.Option("--resource-path", "-r", help="File or folder to read (repeatable).")
    ] = None,
    branch: Annotated[str, typer.Option(help="Branch to deploy (git repositories).")] = "main",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan, change nothing.")] = False,
    force: Annotated[bool, typer.Option(help="Deploy every stack even when unchanged.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Reconcile REPO onto its servers once: plan, apply, deploy what changed, print a summary.

    Runs on embedded defaults: a temporary Prefect API and the embedded state
    store (FLEETFLOW_HOME, default ~/.fleetflow). Servers with an empty or
    unix:// address use the local Docker engine (DOCKER_HOST).

    Example: fleetflow reconcile examples/homelab
    """
    from fleetflow.runtime.local import quiet_prefect_defaults

    quiet_prefect_defaults()
    repo, paths = _resolve_repo(repo, resource_path)
    result = _run_sync(repo, branch=branch, paths=paths, dry_run=dry_run, force=force)
    if as_json:
        typer.echo(json.dumps(result, indent=2, default=str))
    else:
        _print_result(result, dry_run=dry_run)
    if result.get("error"):
        raise typer.Exit(EXIT_ERROR)


def _run_sync(repo: str, *, branch: str, paths: list[str], dry_run: bool, force: bool) -> dict[str, Any]:
    import asyncio

    from fleetflow.runtime.report import sync_result_from_store
    from flows.sync_resources import sync_resources

    async def run() -> State[dict[str, Any]]:
        return await sync_resources(
            repo=repo, branch=branch, resource_paths=paths, dry_run=dry_run, force=force, return_state=True
        )

    state = asyncio.run(run())
    if state.is_completed():
        result: dict[str, Any] = state.result()
        return result
    try:
        state.result()
    except FleetflowError as exc:
        return {**sync_result_from_store(repo), "error": str(exc)}
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
    if dry_run:
        console.print(f"deploy rounds: {result.get('rounds')}")
        return
    rows = outcome_rows(result.get("stacks", {}))
    if rows:
        console.print(_outcome_table(f"stacks at {str(result.get('commit', ''))[:12]}", rows))
    if result.get("error"):
        err_console.print(f"[bold red]error:[/] {result['error']}")


agent_app = typer.Typer(help="Run or install the agent (a Prefect worker on pool host-<server>).")
app.add_typer(agent_app, name="agent")


@agent_app.callback(invoke_without_command=True)
def agent(
    ctx: typer.Context,
    server: Annotated[str, typer.Option(help="The [[server]] name whose pool this agent serves.")] = "",
    query_seconds: Annotated[
        int, typer.Option(help="How often the worker asks for work (latency vs API load).")
    ] = 10,
    limit: Annotated[int | None, typer.Option(help="At most this many flow runs at once.")] = None,
) -> None:
    """Run the agent for SERVER in the foreground (replaces this process with `prefect worker start`).

    Example: fleetflow agent --server apollo
    """
    if ctx.invoked_subcommand is not None:
        return
    from fleetflow.agent import exec_worker, worker_command

    if not server:
        raise FleetflowError(
            "no server given", hint="Pass --server NAME (the [[server]] entry this host is)."
        )
    exec_worker(worker_command(server, query_seconds=query_seconds, limit=limit))


@agent_app.command("install")
def agent_install(
    server: Annotated[str, typer.Option(help="The [[server]] name of this host.")],
    unit_dir: Annotated[Path, typer.Option(help="Where to write the systemd unit.")] = Path(
        "/etc/systemd/system"
    ),
    env_file: Annotated[Path | None, typer.Option(help="EnvironmentFile with PREFECT_API_URL etc.")] = None,
    user: Annotated[str, typer.Option(help="User the agent runs as (needs Docker access).")] = "root",
) -> None:
    """Write a systemd unit (Restart=always) running `fleetflow agent --server SERVER`.

    Example: fleetflow agent install --server apollo --env-file /etc/fleetflow/agent.env
    """
    from fleetflow.agent import systemd_unit, unit_path

    path = unit_path(server, unit_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(systemd_unit(server, user=user, env_file=env_file))
    typer.echo(f"wrote {path}; enable it with: systemctl daemon-reload && systemctl enable --now {path.name}")


def _resolve_repo(repo: str, resource_path: list[str] | None) -> tuple[str, list[str]]:
    from fleetflow.runtime.local import default_resource_paths
    from fleetflow.runtime.snapshot import is_worktree

    local = Path(repo)
    if is_worktree(repo) or local.exists():
        return str(local.resolve()), resource_path or default_resource_paths(local)
    return repo, resource_path or ["syncs"]


@app.command()
def deploy(
    repo: Annotated[str, typer.Argument(help="Git URL (or path) of the repository with the resource files.")],
    sync: Annotated[str, typer.Option(help="Name of this resource sync (deployment names use it).")] = "main",
    branch: Annotated[str, typer.Option(help="Tracked branch.")] = "main",
    resource_path: Annotated[list[str] | None, typer.Option("--resource-path", "-r")] = None,
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
    repo, paths = _resolve_repo(repo, resource_path)
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


@app.command()
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

    repo, paths = _resolve_repo(repo, resource_path)
    run_serve(
        repo,
        sync_name=sync,
        branch=branch,
        resource_paths=paths,
        poll_seconds=poll_seconds,
        webhook_port=webhook_port,
    )


@app.command()
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
    from flows.health_check import health_check

    result: dict[str, Any] = asyncio.run(health_check(servers=server or None, check_updates=False))
    if as_json:
        typer.echo(json.dumps(result, indent=2, default=str))
    else:
        rows: list[dict[str, Any]] = list(result.get("hosts", []))
        table = Table(title="fleet health")
        for column in rows[0].keys() if rows else ["host"]:
            table.add_column(str(column), overflow="fold")
        for row in rows:
            table.add_row(*(str(v) for v in row.values()))
        Console().print(table)
    hosts = result.get("hosts", [])
    if any(not h.get("reachable", True) or h.get("drift") for h in hosts):
        raise typer.Exit(EXIT_ERROR)


def _wire_subcommands() -> None:
    from fleetflow.api.cli import token_app
    from fleetflow.backup_cli import backup_app, restore_app
    from fleetflow.fleetops_cli import fleet_app

    app.add_typer(backup_app, name="backup", help="Mongo dumps, retention and Kopia snapshots.")
    app.add_typer(restore_app, name="restore", help="Restore a Mongo dump or files from a Kopia snapshot.")
    app.add_typer(token_app, name="token", help="API tokens (viewer, operator, admin).")
    app.add_typer(fleet_app, name="fleet", help="Fleet check, pull on hosts, agent updates.")


_wire_subcommands()


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
