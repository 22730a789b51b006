"""Shared pieces of the CLI: consoles, exit codes, repository resolution, the outcome table."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

err_console = Console(stderr=True)

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2

RESOURCE_PATH_HELP = "File or folder with resource files (repeatable; default syncs/ if present, else all)."


def outcome_table(title: str, rows: list[dict[str, str]]) -> Table:
    table = Table(title=title)
    for column in ("stack", "server", "status", "commit", "reason"):
        table.add_column(column, overflow="fold")
    styles = {
        "good": "green",
        "would_deploy": "cyan",
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


def resolve_repo(repo: str, resource_path: list[str] | None) -> tuple[str, list[str]]:
    from fleetflow.runtime.local import default_resource_paths
    from fleetflow.runtime.snapshot import is_worktree

    local = Path(repo)
    if is_worktree(repo) or local.exists():
        return str(local.resolve()), resource_path or default_resource_paths(local)
    return repo, resource_path or ["syncs"]


def prefect_api_for_one_shot(*, keep_server: bool | None = None) -> None:
    """Point this process at a Prefect API for a one-shot command, and say which on stderr.

    PREFECT_API_URL when set; else the local server kept between runs (started on
    first use), unless ``keep_server`` is False or FLEETFLOW_PREFECT=temporary:
    then Prefect's temporary in-command server, as before (nothing said).
    """
    import os

    from fleetflow.runtime import context, local_server

    if os.environ.get("PREFECT_API_URL"):
        return
    if keep_server is None:
        keep_server = os.environ.get("FLEETFLOW_PREFECT", "local").lower() != "temporary"
    if not keep_server:
        return
    server = local_server.ensure(context.settings().home)
    os.environ["PREFECT_API_URL"] = server.url
    how = "started now, kept for the next runs" if server.started else "reused"
    err_console.print(
        f"Prefect API: local server {server.url} ({how}; `fleetflow prefect-server stop` ends it)",
        style="dim",
        highlight=False,
        soft_wrap=True,
    )
