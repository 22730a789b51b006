"""Tasks of the backup flows: dump one database, prune old dumps, and the Kopia steps."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from prefect import get_run_logger
from prefect.artifacts import update_progress_artifact

from fleetflow.backup import (
    BackupCommandFailed,
    DumpProgress,
    DumpResult,
    DumpTool,
    Kopia,
    RepositoryAction,
    RetentionPolicy,
    SnapshotResult,
    VerifyResult,
    apply_retention,
    dump_database,
    list_dumps,
    plan_retention,
)
from fleetflow.backup.config import BackupSettings, DumpSource
from fleetflow.backup.layout import format_stamp
from fleetflow.errors import ComponentUnavailable
from tasks.policy import DEFAULT, NEVER, RetryPolicy, fleet_task

KOPIA = RetryPolicy(retries=2, backoff_factor=5.0)
"""Kopia against a remote backend may hit a transient network error; a bad password never heals."""


def _state_error(state: object) -> BaseException | None:
    try:
        state.result()  # type: ignore[attr-defined]
    except BaseException as exc:
        return exc
    return None


def _retry_unreachable(task: object, run: object, state: object) -> bool:
    """Retry a dump only when the database could not be reached."""
    return isinstance(_state_error(state), ComponentUnavailable)


def _retry_transient_kopia(task: object, run: object, state: object) -> bool:
    """Retry Kopia failures except a wrong password or bad configuration."""
    exc = _state_error(state)
    return isinstance(exc, BackupCommandFailed) and "invalid repository password" not in exc.stderr_tail


@fleet_task("dump-database", DEFAULT, retry_condition_fn=_retry_unreachable)
def dump_source(
    source: DumpSource,
    root: Path,
    now: datetime,
    tool: DumpTool = DumpTool.AUTO,
    progress: tuple[UUID, int, int] | None = None,
) -> DumpResult:
    """Dump ``source`` into ``root/<stamp>/``; ``progress`` is (artifact id, source index, sources)."""
    logger = get_run_logger()
    logger.info("dumping database %s from %s into %s", source.database, source.shown, root)

    def report(step: DumpProgress) -> None:
        logger.info("dumped %s.%s (%d documents)", source.database, step.collection, step.documents)
        if progress is not None:
            artifact, index, count = progress
            share = (index + step.done / max(step.total, 1)) / max(count, 1)
            update_progress_artifact(artifact, progress=round(100 * share, 1))

    result = dump_database(
        source.url.get_secret_value(), source.database, root, now=now, on_progress=report, tool=tool
    )
    logger.info(
        "dump of %s done: %d documents, %d bytes in %.1f s at %s",
        source.database,
        result.documents,
        result.bytes_on_disk,
        result.duration_seconds,
        result.path,
    )
    return result


@fleet_task("dump-retention", NEVER)
def prune_dumps(root: Path, settings: BackupSettings, *, dry_run: bool) -> list[dict[str, Any]]:
    """Apply daily/weekly/monthly retention to the dumps under ``root``; one row per dump."""
    plan = plan_retention(
        [d.taken_at for d in list_dumps(root)],
        keep_daily=settings.keep_daily,
        keep_weekly=settings.keep_weekly,
        keep_monthly=settings.keep_monthly,
    )
    outcome = apply_retention(root, plan, dry_run=dry_run)
    rows: list[dict[str, Any]] = []
    for path in outcome.deleted:
        action = "would delete" if dry_run else "deleted"
        rows.append({"source": root.name, "dump": path.name, "action": action, "reason": "past retention"})
    for taken_at, reasons in sorted(plan.reasons.items()):
        stamp = format_stamp(taken_at)
        rows.append({"source": root.name, "dump": stamp, "action": "keep", "reason": ", ".join(reasons)})
    if outcome.deleted:
        get_run_logger().info(
            "%s %d old dump(s) of %s",
            "would delete" if dry_run else "deleted",
            len(outcome.deleted),
            root.name,
        )
    return rows


@fleet_task("kopia-connect", KOPIA, retry_condition_fn=_retry_transient_kopia)
def open_repository(kopia: Kopia, backend: str, options: list[str]) -> RepositoryAction:
    """Connect to the Kopia repository, creating it on first use."""
    action = kopia.connect_or_create(backend, options)
    get_run_logger().info("kopia repository (%s): %s", backend, action.value)
    return action


@fleet_task("kopia-retention", KOPIA, retry_condition_fn=_retry_transient_kopia)
def set_kopia_retention(kopia: Kopia, settings: BackupSettings) -> RetentionPolicy:
    """Set Kopia's global retention to the same daily/weekly/monthly counts as the dumps."""
    return kopia.set_retention_policy(
        keep_daily=settings.keep_daily, keep_weekly=settings.keep_weekly, keep_monthly=settings.keep_monthly
    )


@fleet_task("kopia-snapshot", KOPIA, retry_condition_fn=_retry_transient_kopia)
def snapshot_paths(kopia: Kopia, paths: list[Path], description: str) -> list[SnapshotResult]:
    """Snapshot each folder (Kopia applies its retention to each source afterwards)."""
    logger = get_run_logger()
    results = kopia.snapshot(paths, description=description)
    for snap in results:
        logger.info(
            "kopia snapshot %s of %s: %d files, %d bytes", snap.id, snap.source, snap.files, snap.size
        )
    return results


@fleet_task("kopia-verify", KOPIA, retry_condition_fn=_retry_transient_kopia)
def verify_repository(kopia: Kopia, percent: float) -> VerifyResult:
    """Verify every snapshot, reading ``percent`` of the file contents."""
    result = kopia.verify(verify_files_percent=percent)
    get_run_logger().info(
        "kopia verify: %d objects, %d files read, no errors", result.objects, result.files_read
    )
    return result
