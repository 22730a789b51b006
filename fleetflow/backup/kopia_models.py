"""Typed results of Kopia commands, parsed from its ``--json`` output (or its one-line summaries)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from fleetflow.errors import BackupError


class RepositoryAction(StrEnum):
    """What connect_or_create did."""

    ALREADY_CONNECTED = "already-connected"
    CONNECTED = "connected"
    CREATED = "created"


class BackupCommandFailed(BackupError):
    """A backup tool exited non-zero: the command (no secrets), exit status, stderr tail."""

    def __init__(self, command: Sequence[str], exit_status: int, stderr: str, *, hint: str = "") -> None:
        self.command = list(command)
        self.exit_status = exit_status
        self.stderr_tail = "\n".join(stderr.strip().splitlines()[-15:])
        detail = f":\n{self.stderr_tail}" if self.stderr_tail else ""
        super().__init__(f"`{' '.join(self.command)}` exited {exit_status}{detail}", hint=hint)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class SnapshotResult(_Frozen):
    """One Kopia snapshot manifest."""

    id: str
    source: Path
    root: str
    size: int
    files: int
    dirs: int
    errors: int
    start_time: datetime
    duration_seconds: float


class VerifyResult(_Frozen):
    """``kopia snapshot verify`` statistics."""

    objects: int
    bytes: int
    files_read: int
    errors: int


class RestoreResult(_Frozen):
    """``kopia snapshot restore`` summary."""

    snapshot_id: str
    target: Path
    files: int
    dirs: int
    duration_seconds: float


class RetentionPolicy(_Frozen):
    """Kopia's retention settings for a target (or the global policy)."""

    keep_latest: int | None = None
    keep_hourly: int | None = None
    keep_daily: int | None = None
    keep_weekly: int | None = None
    keep_monthly: int | None = None
    keep_annual: int | None = None


def parse_json(text: str, command: str) -> Any:
    """JSON from a Kopia command's stdout, or BackupError naming the command."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BackupError(f"`{command}` printed no valid JSON: {exc}; got {text[:200]!r}") from exc


def parse_snapshot(data: dict[str, Any]) -> SnapshotResult:
    """A snapshot manifest (from ``snapshot create --json`` or ``snapshot list --json``)."""
    try:
        root = data["rootEntry"]
        summary = root.get("summ", {})
        start = datetime.fromisoformat(data["startTime"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(data["endTime"].replace("Z", "+00:00"))
        return SnapshotResult(
            id=data["id"],
            source=Path(data["source"]["path"]),
            root=root["obj"],
            size=int(summary.get("size", 0)),
            files=int(summary.get("files", 0)),
            dirs=int(summary.get("dirs", 0)),
            errors=int(summary.get("numFailed", 0)),
            start_time=start,
            duration_seconds=round((end - start).total_seconds(), 3),
        )
    except (KeyError, TypeError, ValueError, ValidationError) as exc:
        raise BackupError(f"unexpected Kopia snapshot manifest ({exc!r}): {str(data)[:200]}") from exc


def parse_verify(data: dict[str, Any]) -> VerifyResult:
    """Statistics of ``snapshot verify --json``."""
    stats = data.get("stats", {})
    return VerifyResult(
        objects=int(stats.get("processedObjectCount", 0)),
        bytes=int(stats.get("processedBytes", 0)),
        files_read=int(stats.get("readFileCount", 0)),
        errors=int(data.get("errorCount", 0)),
    )


def parse_policy(data: dict[str, Any]) -> RetentionPolicy:
    """The retention part of ``policy show --json``."""
    keep = data.get("retention", {})
    return RetentionPolicy(
        keep_latest=keep.get("keepLatest"),
        keep_hourly=keep.get("keepHourly"),
        keep_daily=keep.get("keepDaily"),
        keep_weekly=keep.get("keepWeekly"),
        keep_monthly=keep.get("keepMonthly"),
        keep_annual=keep.get("keepAnnual"),
    )


_RESTORED = re.compile(r"Restored (\d+) files, (\d+) directories")


def parse_restored(text: str) -> tuple[int, int]:
    """(files, dirs) from Kopia's ``Restored N files, M directories ...`` line; (0, 0) if absent."""
    match = _RESTORED.search(text)
    return (int(match[1]), int(match[2])) if match else (0, 0)
