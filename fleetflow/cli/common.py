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
