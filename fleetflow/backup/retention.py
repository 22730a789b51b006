"""Grandfather-father-son retention of dumps by their own timestamps: a pure plan, then apply.

Each rule keeps the newest dump of each of its N most recent periods that have
a dump (calendar day, ISO week, calendar month, all UTC); a dump is kept when
any rule keeps it, and the newest dump is always kept.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from fleetflow.backup import layout
from fleetflow.errors import BackupError, ConfigError


class Rule(StrEnum):
    """Why a dump is kept."""

    NEWEST = "newest"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


_PERIOD: dict[Rule, Callable[[datetime], str]] = {
    Rule.DAILY: lambda d: d.strftime("%Y-%m-%d"),
    Rule.WEEKLY: lambda d: "{}-W{:02d}".format(*d.isocalendar()[:2]),
    Rule.MONTHLY: lambda d: d.strftime("%Y-%m"),
}


class RetentionPlan(BaseModel):
    """Which dumps stay and which go (newest first), with the reasons each kept one stays."""

    model_config = ConfigDict(frozen=True)

    keep: tuple[datetime, ...]
    delete: tuple[datetime, ...]
    reasons: dict[datetime, tuple[str, ...]]


def plan_retention(
    dumps: Iterable[datetime], keep_daily: int = 7, keep_weekly: int = 4, keep_monthly: int = 3
) -> RetentionPlan:
    """Plan retention over dump timestamps (naive means UTC; duplicates collapse)."""
    limits = {Rule.DAILY: keep_daily, Rule.WEEKLY: keep_weekly, Rule.MONTHLY: keep_monthly}
    for rule, limit in limits.items():
        if limit < 0:
            raise ConfigError(f"keep_{rule.value} must be >= 0, got {limit}")
    ordered = sorted({layout.as_utc(d) for d in dumps}, reverse=True)
    reasons: dict[datetime, list[str]] = {}
    if ordered:
        reasons[ordered[0]] = [Rule.NEWEST.value]
    for rule, limit in limits.items():
        seen: set[str] = set()
        for moment in ordered:
            period = _PERIOD[rule](moment)
            if period in seen:
                continue
            if len(seen) >= limit:
                break
            seen.add(period)
            reasons.setdefault(moment, []).append(f"{rule.value} {period}")
    return RetentionPlan(
        keep=tuple(d for d in ordered if d in reasons),
        delete=tuple(d for d in ordered if d not in reasons),
        reasons={d: tuple(r) for d, r in reasons.items()},
    )


class RetentionOutcome(BaseModel):
    """What apply_retention removed (or, in a dry run, would remove)."""

    model_config = ConfigDict(frozen=True)

    dry_run: bool
    deleted: tuple[Path, ...]
    kept: tuple[Path, ...]


def apply_retention(root: Path, plan: RetentionPlan, *, dry_run: bool = True) -> RetentionOutcome:
    """Delete the planned dump folders under ``root`` (nothing when ``dry_run``).

    Refuses a plan that would delete the newest complete dump on disk (a stale plan).
    A folder is renamed out of the dump namespace before removal, so a half-deleted
    dump never looks complete.
    """
    on_disk = {d.taken_at: d.path for d in layout.list_dumps(root)}
    doomed = set(plan.delete)
    if on_disk and max(on_disk) in doomed:
        raise BackupError(
            f"retention plan would delete the newest dump {on_disk[max(on_disk)]}",
            hint="re-plan from the dumps currently on disk",
        )
    deleted = tuple(on_disk[d] for d in sorted(doomed & on_disk.keys()))
    if not dry_run:
        for path in deleted:
            trash = path.with_name(f"{layout.DELETING_PREFIX}{path.name}")
            try:
                path.rename(trash)
                shutil.rmtree(trash)
            except OSError as exc:
                raise BackupError(f"cannot delete old dump {path}: {exc.strerror}") from exc
    kept = tuple(p for d, p in sorted(on_disk.items()) if d not in doomed)
    return RetentionOutcome(dry_run=dry_run, deleted=deleted, kept=kept)
