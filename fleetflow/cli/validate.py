"""``fleetflow validate``: check stacks before they are pushed (offline), optionally on their hosts."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from fleetflow.cli.common import EXIT_ERROR, EXIT_OK, EXIT_USAGE, err_console
from fleetflow.errors import ConfigError

if TYPE_CHECKING:
    from fleetflow.hosts.base import HostConnection
    from fleetflow.resources import Desired, FileSource, SecretResolver, Server
    from fleetflow.validate import Report

_STYLE = {"error": "red", "warning": "yellow"}


def validate(
    targets: Annotated[
        list[str] | None,
        typer.Argument(
            help="[REPO] then stack folders or names; REPO defaults to the repository around the "
            "current directory.",
            show_default=False,
        ),
    ] = None,
    resource_path: Annotated[
        list[str] | None, typer.Option("--resource-path", "-r", help="File or folder to read (repeatable).")
    ] = None,
    server: Annotated[str | None, typer.Option("--server", help="Only the stacks of this server.")] = None,
    host_checks: Annotated[
        bool, typer.Option("--host-checks", help="Also check on the hosts (networks, volumes, paths, ports).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON.")] = False,
) -> None:
    """Validate stacks: resource files, compose files, interpolation, references, clashes.

    Offline by default (no Docker, no Prefect). Exit 0 valid, 1 invalid, 2 usage.

    Examples: fleetflow validate examples/homelab;
    fleetflow validate stacks/applications/homepage (from inside the repository)
    """
    from fleetflow.resources import ChainSecrets, EnvSecrets, FileSecrets, WorkTreeSource
    from fleetflow.runtime.local import default_resource_paths
    from fleetflow.validate import OfflineSecrets, validate_repo
    from fleetflow.validate.select import find_root, is_repo_root, select_stacks

    args = list(targets or [])
    explicit = bool(args) and is_repo_root(Path(args[0]))
    root = Path(args.pop(0)).resolve() if explicit else find_root(Path.cwd())
    chain: list[SecretResolver] = [EnvSecrets()]
    secrets_file = _secrets_file()
    if secrets_file is not None:
        chain.append(FileSecrets(secrets_file))
    paths = resource_path or default_resource_paths(root)
    source = WorkTreeSource(root)
    try:
        report, desired = validate_repo(
            source, paths, secrets=OfflineSecrets(ChainSecrets(*chain)), open_repos=_repo_opener(chain)
        )
        chosen = select_stacks(desired, root, args, server)
    except ConfigError as exc:
        err_console.print(f"[bold red]usage:[/] {exc}")
        raise typer.Exit(EXIT_USAGE) from exc
    if args or server is not None:
        report.findings = [f for f in report.findings if not f.stack or f.stack in chosen]
        report.stacks = {n: s for n, s in report.stacks.items() if n in chosen}
        report.facts = {n: f for n, f in report.facts.items() if n in chosen}
    if host_checks:
        _host_checks(desired, report)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
    else:
        _print(report, root)
    raise typer.Exit(EXIT_OK if report.ok else EXIT_ERROR)


def _repo_opener(chain: list[SecretResolver]) -> Callable[[Desired], dict[str, FileSource]]:
    """Fetches the repositories stacks take their files from into the repository cache."""

    def open_repos(desired: Desired) -> dict[str, FileSource]:
        from fleetflow.resources import ChainSecrets
        from fleetflow.runtime import context
        from fleetflow.runtime.stack_repos import stack_snapshots

        rewrites = context.settings().git_url_rewrite
        found = stack_snapshots(desired, context.repo_cache(), ChainSecrets(*chain), rewrites=rewrites)
        return {name: snap.source for name, snap in found.items()}

    return open_repos


def _secrets_file() -> Path | None:
    from fleetflow.settings import load_settings

    try:
        return load_settings().secrets_file
    except Exception:  # settings that do not load are the reconcile's problem, not validation's
        return None


def _host_checks(desired: Desired, report: Report) -> None:
    import asyncio

    from fleetflow.runtime.hosts import connect_server
    from fleetflow.settings import load_settings
    from fleetflow.validate.hostrun import run_host_checks

    settings = load_settings()

    def connect(server: Server) -> HostConnection:
        return connect_server(server, settings)

    asyncio.run(run_host_checks(desired, report, connect))


def _print(report: Report, root: Path) -> None:
    console = Console()
    if report.findings:
        table = Table(title=f"validate {root.name}")
        for column in ("severity", "stack", "check", "where", "message"):
            table.add_column(column, overflow="fold")
        for row in report.rows():
            sev = row["severity"]
            table.add_row(
                f"[{_STYLE.get(sev, '')}]{sev}[/]", row["stack"], row["check"], row["where"], row["message"]
            )
        console.print(table)
    verdict = "[green]valid[/]" if report.ok else "[bold red]invalid[/]"
    console.print(
        f"{len(report.stacks)} stack(s) checked: {len(report.errors)} error(s), "
        f"{len(report.warnings)} warning(s): {verdict}"
    )
