"""Retention planning: worked examples, 120 simulated days, and properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fleetflow.backup import apply_retention, list_dumps, plan_retention
from fleetflow.backup.layout import MANIFEST_NAME, format_stamp
from fleetflow.errors import BackupError, ConfigError


def at(day: str, hour: int = 2) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def test_120_daily_dumps_keep_exactly_the_expected_set() -> None:
    # Daily dumps at 02:00 from 2024-01-01 to 2024-04-29 (a Monday), 120 days.
    dumps = [at("2024-01-01") + timedelta(days=n) for n in range(120)]
    assert dumps[-1] == at("2024-04-29")
    plan = plan_retention(dumps)
    daily = {at(f"2024-04-{d:02d}") for d in range(23, 30)}  # 7 newest days
    weekly = {at("2024-04-29"), at("2024-04-28"), at("2024-04-21"), at("2024-04-14")}  # newest of 4 ISO weeks
    monthly = {at("2024-04-29"), at("2024-03-31"), at("2024-02-29")}  # newest of 3 months
    assert set(plan.keep) == daily | weekly | monthly
    assert len(plan.keep) == 11  # 7 daily + 2 more weekly + 2 more monthly
    assert set(plan.delete) == set(dumps) - set(plan.keep)
    newest_reasons = ("newest", "daily 2024-04-29", "weekly 2024-W18", "monthly 2024-04")
    assert plan.reasons[at("2024-04-29")] == newest_reasons
    assert plan.reasons[at("2024-02-29")] == ("monthly 2024-02",)
    assert plan.keep == tuple(sorted(plan.keep, reverse=True))


def test_several_dumps_a_day_keep_the_newest_of_each_day() -> None:
    dumps = [at("2024-05-01", h) for h in (1, 9, 17)] + [at("2024-05-02", h) for h in (3, 4)]
    plan = plan_retention(dumps, keep_daily=2, keep_weekly=0, keep_monthly=0)
    assert plan.keep == (at("2024-05-02", 4), at("2024-05-01", 17))


def test_all_rules_zero_still_keep_the_newest() -> None:
    dumps = [at("2024-05-01"), at("2024-06-01")]
    plan = plan_retention(dumps, keep_daily=0, keep_weekly=0, keep_monthly=0)
    assert plan.keep == (at("2024-06-01"),)
    assert plan.delete == (at("2024-05-01"),)


def test_naive_and_aware_timestamps_are_the_same_instant() -> None:
    plan = plan_retention([datetime(2024, 5, 1, 2), at("2024-05-01")])
    assert plan.keep == (at("2024-05-01"),)
    assert plan.delete == ()


def test_negative_keep_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="keep_weekly must be >= 0"):
        plan_retention([], keep_weekly=-1)


def test_empty_input_gives_empty_plan() -> None:
    plan = plan_retention([])
    assert (plan.keep, plan.delete, plan.reasons) == ((), (), {})


moments = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
)
limits = st.integers(min_value=0, max_value=10)


@settings(max_examples=200, deadline=None)
@given(st.lists(moments, max_size=60), limits, limits, limits)
def test_plan_properties(dumps: list[datetime], daily: int, weekly: int, monthly: int) -> None:
    plan = plan_retention(dumps, daily, weekly, monthly)
    unique = {d.replace(microsecond=0) for d in dumps}
    assert set(plan.keep) | set(plan.delete) == unique
    assert not set(plan.keep) & set(plan.delete)
    assert set(plan.reasons) == set(plan.keep)
    if unique:
        assert max(unique) in plan.keep
    assert len(plan.keep) <= max(1, daily + weekly + monthly)
    again = plan_retention(plan.keep, daily, weekly, monthly)
    assert again.keep == plan.keep
    assert again.delete == ()


def make_dump(root: Path, moment: datetime) -> Path:
    folder = root / format_stamp(moment)
    (folder / "db").mkdir(parents=True)
    (folder / MANIFEST_NAME).write_text("")
    return folder


def test_apply_dry_run_lists_and_deletes_nothing_then_real_run_deletes(tmp_path: Path) -> None:
    dumps = [at("2024-05-01") + timedelta(days=n) for n in range(10)]
    for moment in dumps:
        make_dump(tmp_path, moment)
    (tmp_path / ".partial-2024-05-20T020000Z-abcd").mkdir()  # an interrupted dump: never touched
    plan = plan_retention(dumps, keep_daily=3, keep_weekly=0, keep_monthly=0)
    dry = apply_retention(tmp_path, plan, dry_run=True)
    assert [p.name for p in dry.deleted] == [format_stamp(d) for d in sorted(plan.delete)]
    assert len(list_dumps(tmp_path)) == 10
    real = apply_retention(tmp_path, plan, dry_run=False)
    assert real.deleted == dry.deleted
    assert [d.taken_at for d in list_dumps(tmp_path)] == sorted(plan.keep)
    assert (tmp_path / ".partial-2024-05-20T020000Z-abcd").is_dir()
    assert not any(p.name.startswith(".deleting-") for p in tmp_path.iterdir())


def test_apply_refuses_a_stale_plan_that_deletes_the_newest_dump_on_disk(tmp_path: Path) -> None:
    make_dump(tmp_path, at("2024-05-01"))
    make_dump(tmp_path, at("2024-05-02"))
    stale = plan_retention([at("2024-05-02"), at("2024-05-03")], keep_daily=1, keep_weekly=0, keep_monthly=0)
    with pytest.raises(BackupError, match="newest dump"):
        apply_retention(tmp_path, stale, dry_run=False)
    assert len(list_dumps(tmp_path)) == 2
