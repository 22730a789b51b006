"""Maintenance windows (Komodo's Daily / Weekly / OneTime): alerts for a server are muted inside."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fleetflow.resources import MaintenanceWindow

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _zone(window: MaintenanceWindow) -> ZoneInfo | None:
    try:
        return ZoneInfo(window.timezone) if window.timezone else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _starts(window: MaintenanceWindow, local: datetime) -> list[datetime]:
    """Candidate window starts near ``local`` (today and yesterday, for windows crossing midnight)."""
    kind = window.schedule_type.strip().lower()
    if kind == "onetime":
        try:
            days = [date.fromisoformat(window.date.strip())]
        except ValueError:
            return []
    else:
        days = [local.date(), local.date() - timedelta(days=1)]
        if kind == "weekly":
            wanted = window.day_of_week.strip().lower()
            days = [d for d in days if DAYS[d.weekday()].startswith(wanted[:3]) and wanted]
    return [datetime(d.year, d.month, d.day, window.hour, window.minute, tzinfo=local.tzinfo) for d in days]


def in_window(window: MaintenanceWindow, now: datetime) -> bool:
    """Whether ``now`` (timezone-aware) falls inside ``window`` (its timezone, else UTC)."""
    local = now.astimezone(_zone(window) or UTC)
    length = timedelta(minutes=window.duration_minutes)
    return any(start <= local < start + length for start in _starts(window, local))


def muted(windows: Sequence[MaintenanceWindow], now: datetime) -> str:
    """The name of the window muting alerts at ``now``, or "" when none does."""
    for window in windows:
        if in_window(window, now):
            return window.name or f"{window.schedule_type} {window.hour:02d}:{window.minute:02d}"
    return ""
