"""Backoff after failed deploys: the streak, the delays, and when a retry goes ahead at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fleetflow.deploy.backoff import CAP, Attempt, alert_due, delay, hold, streak

pytestmark = pytest.mark.unit

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def test_delay_doubles_from_five_minutes_to_six_hours() -> None:
    assert [delay(n) for n in (0, 1, 2, 3)] == [timedelta(0), timedelta(minutes=5), timedelta(minutes=10),
                                                timedelta(minutes=20)]  # fmt: skip
    assert delay(7) == timedelta(minutes=320)
    assert delay(8) == CAP
    assert delay(500) == CAP


def test_streak_counts_consecutive_failures_of_the_same_inputs() -> None:
    attempts = [
        Attempt("rolled_back", "a", T0 + timedelta(minutes=10)),
        Attempt("skipped", "a", T0 + timedelta(minutes=7)),
        Attempt("failed", "a", T0),
        Attempt("good", "a", T0 - timedelta(hours=1)),
        Attempt("failed", "a", T0 - timedelta(hours=2)),
    ]
    found = streak(attempts, "a")
    assert found is not None
    assert found.failures == 2
    assert found.next_attempt == T0 + timedelta(minutes=10) + timedelta(minutes=10)


def test_other_inputs_or_a_good_deploy_end_the_streak() -> None:
    assert streak([Attempt("good", "a", T0)], "a") is None
    assert streak([Attempt("rolled_back", "b", T0)], "a") is None
    assert streak([], "a") is None


def test_hold_until_due_unless_forced() -> None:
    backoff = streak([Attempt("rolled_back", "a", T0)], "a")
    reason = hold(backoff, T0 + timedelta(minutes=1))
    assert reason.startswith("backing off after 1 failed deploy(s)")
    assert "in 4 min" in reason
    assert hold(backoff, T0 + timedelta(minutes=5)) == ""
    assert hold(backoff, T0 + timedelta(minutes=1), force=True) == ""
    assert hold(None, T0) == ""


def test_one_alert_per_failure_streak() -> None:
    assert alert_due([], "a") is True
    assert alert_due([Attempt("rolled_back", "a", T0)], "a") is False
    assert alert_due([Attempt("rolled_back", "b", T0)], "a") is True
    assert alert_due([Attempt("good", "a", T0)], "a") is True
