"""``fleetflow backup run|list`` and ``fleetflow restore mongo|files`` (typer sub-apps)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlsplit

import typer
from rich.console import Console
from rich.table import Table

from fleetflow.errors import BackupError, ConfigError, FleetflowError
from fleetflow.settings import load_settings

if TYPE_CHECKING:  # the backup modules (pymongo, kopia models) load only for backup commands
    from fleetflow.backup import Kopia
    from fleetflow.backup.config import BackupSettings

backup_app = typer.Typer(
    name="backup", help="Back up fleetflow's state: Mongo dumps and Kopia snapshots.", no_args_is_help=True
)
restore_app = typer.Typer(
    name="restore", help="Restore a Mongo dump or a Kopia snapshot.", no_args_is_help=True
)


def _console(*, stderr: bool = False) -> Console:
    """A console made per call, so the terminal width (COLUMNS) is read when printing."""
    return Console(stderr=stderr)


@contextmanager
def _exit_on_error() -> Iterator[None]:
    """Print a fleetflow error as one paragraph and exit 1."""
    try:
        yield
    except FleetflowError as exc:
        _console(stderr=True).print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(1) from exc


def _table(title: str, rows: list[dict[str, Any]], columns: tuple[str, ...]) -> Table:
    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(str(row.get(c, "")) for c in columns))
    return table


def _print_report(report: dict[str, Any]) -> None:
    if report.get("dry_run"):
        _console().print(_table("would dump", report["dumps"], ("label", "database", "source")))
        _console().print(
            _table("kopia would snapshot", [{"path": p} for p in report["kopia"]["paths"]], ("path",))
        )
        for note in report.get("notes", []):
            _console().print(f"note: {note}", highlight=False)
    else:
        _console().print(
            _table("dumps", report["dumps"], ("label", "database", "documents", "bytes", "path"))
        )
        snaps = report.get("kopia", {}).get("snapshots", [])
        if snaps:
            _console().print(_table("kopia snapshots", snaps, ("id", "source", "files", "bytes", "seconds")))
    gone = [r for r in report["retention"] if r["action"] != "keep"]
    if gone:
        _console().print(_table("retention", gone, ("source", "dump", "action")))


@backup_app.command("run")
def run(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would happen; change nothing.")
    ] = False,
) -> None:
    """Run backup-snapshot once: dump, prune old dumps, snapshot with Kopia."""
    from fleetflow.runtime.local import quiet_prefect_defaults

    quiet_prefect_defaults()
    from flows.backup_snapshot import backup_snapshot

    state = backup_snapshot(dry_run=dry_run, return_state=True)
    if not state.is_completed():
        _console(stderr=True).print(
            f"[bold red]error:[/] {state.message or 'backup failed'}", highlight=False
        )
        raise typer.Exit(1)
    _print_report(state.result())


def _connected(kopia: Kopia, backup: BackupSettings) -> bool:
    """Connect to the configured repository without creating one; False when it does not exist."""
    if kopia.is_connected():
        return True
    backend, options = backup.kopia_repository()
    flags = [f"--cache-directory={kopia.cache_dir}", "--no-persist-credentials", "--no-use-keyring"]
    try:
        kopia.run(["repository", "connect", backend, *options, *flags])
    except BackupError as exc:
        if "invalid repository password" in str(exc):
            raise
        return False
    return True


@backup_app.command("list")
def list_backups(
    snapshots: Annotated[bool, typer.Option(help="Also list Kopia snapshots (when configured).")] = True,
) -> None:
    """List the dumps on disk (with what retention keeps) and the Kopia snapshots."""
    from fleetflow.backup import list_dumps, plan_retention
    from fleetflow.backup.config import dumps_root, load_backup_settings
    from fleetflow.backup.layout import format_stamp

    with _exit_on_error():
        settings = load_settings()
        backup = load_backup_settings()
        root = dumps_root(settings)
        rows = []
        for folder in sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []:
            dumps = list_dumps(folder)
            plan = plan_retention(
                [d.taken_at for d in dumps], backup.keep_daily, backup.keep_weekly, backup.keep_monthly
            )
            for dump in dumps:
                size = sum(f.stat().st_size for f in dump.path.rglob("*") if f.is_file())
                reasons = plan.reasons.get(dump.taken_at)
                keep = ", ".join(reasons) if reasons else "past retention"
                rows.append(
                    {
                        "source": folder.name,
                        "dump": format_stamp(dump.taken_at),
                        "bytes": size,
                        "retention": keep,
                        "path": dump.path,
                    }
                )
        _console().print(
            _table(f"dumps under {root}", rows, ("source", "dump", "bytes", "retention", "path"))
        )
        if not (snapshots and backup.kopia_enabled):
            return
        try:
            kopia = backup.kopia_client(settings)
            backup.kopia_repository()
        except ConfigError as exc:
            _console().print(f"kopia: not configured ({exc})", highlight=False)
            return
        if not _connected(kopia, backup):
            _console().print("kopia: no repository yet (run `fleetflow backup run`)")
            return
        snaps = [
            {
                "id": s.id,
                "source": s.source,
                "time": s.start_time.isoformat(),
                "files": s.files,
                "bytes": s.size,
            }
            for s in kopia.list_snapshots()
        ]
        _console().print(_table("kopia snapshots", snaps, ("id", "source", "time", "files", "bytes")))


@restore_app.command("mongo")
def restore_mongo(
    source: Annotated[
        Path,
        typer.Option(
            "--from",
            help="A dump folder: fleetflow's <root>/mongo/<label>/<stamp>, a mongodump --out folder, "
            "or one database folder in either.",
        ),
    ],
    target: Annotated[str, typer.Option("--to", help="mongodb://host:port/<database> to restore into.")],
    drop: Annotated[bool, typer.Option("--drop", help="Replace a non-empty target database.")] = False,
    database: Annotated[str | None, typer.Option(help="Target database (default: from the URL).")] = None,
    indexes_only: Annotated[
        bool,
        typer.Option(
            "--indexes-only",
            help="Only create the dump's indexes on collections already restored "
            "(e.g. after mongorestore --noIndexRestore).",
        ),
    ] = False,
) -> None:
    """Restore a Mongo dump into a database (refuses a non-empty one unless --drop)."""
    from fleetflow.backup import mask_url, restore_dump

    with _exit_on_error():
        name = database or urlsplit(target).path.lstrip("/").split("/")[0]
        if not name:
            raise ConfigError(f"{mask_url(target)} names no database", hint="add /<database> or --database")
        result = restore_dump(source, target, name, drop=drop, indexes_only=indexes_only)
        out = _console()
        out.print(result.checked, highlight=False)
        what = (
            f"created {result.indexes} indexes"
            if indexes_only
            else f"restored {result.documents} documents in {len(result.collections)} collections "
            f"({result.indexes} indexes)"
        )
        out.print(
            f"{what} into {name} at {mask_url(target)} in {result.duration_seconds:.1f} s", highlight=False
        )
        if result.dropped_index_options:
            out.print(
                "index options dropped (the target server refuses them): "
                + ", ".join(result.dropped_index_options),
                highlight=False,
            )


@restore_app.command("files")
def restore_files(
    snapshot: Annotated[str, typer.Option("--snapshot", help="Kopia snapshot id (or id/sub/path).")],
    target: Annotated[Path, typer.Option("--to", help="Directory to restore into.")],
    force: Annotated[bool, typer.Option("--force", help="Restore into a non-empty directory.")] = False,
) -> None:
    """Restore a Kopia snapshot into a directory (refuses a non-empty one unless --force)."""
    with _exit_on_error():
        if target.is_dir() and any(target.iterdir()) and not force:
            raise BackupError(
                f"{target} is not empty", hint="restore into an empty directory, or pass --force"
            )
        from fleetflow.backup.config import load_backup_settings

        settings = load_settings()
        backup = load_backup_settings()
        kopia = backup.kopia_client(settings)
        if not _connected(kopia, backup):
            raise BackupError(
                "the configured Kopia repository does not exist", hint="check the repository path"
            )
        result = kopia.restore(snapshot, target)
        _console().print(
            f"restored {result.files} files, {result.dirs} directories of {snapshot} into {target} "
            f"in {result.duration_seconds:.1f} s",
            highlight=False,
        )
