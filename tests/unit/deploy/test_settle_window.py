"""The settle window after ``compose up`` counts from each container's own start, never beyond ``up``."""

from __future__ import annotations

import pytest

from fleetflow.deploy.state import _epoch, running_for


def test_running_time_counts_from_the_container_start() -> None:
    # started 0.4 s after up began, now 0.9 s after up began: running 0.5 s
    assert running_for(started_at=100.4, now=100.9, up_since=100.0) == pytest.approx(0.5)


def test_running_time_is_bounded_by_up_whatever_the_host_clock_says() -> None:
    # a host clock 10 s behind makes the container look older: never more than since up began
    assert running_for(started_at=90.0, now=100.9, up_since=100.0) == pytest.approx(0.9)
    # a host clock ahead makes it look not started yet: zero, keep waiting
    assert running_for(started_at=105.0, now=100.9, up_since=100.0) == 0.0
    assert running_for(started_at=None, now=100.9, up_since=100.0) == 0.0


def test_docker_times_with_nanoseconds_parse() -> None:
    assert _epoch("1970-01-01T00:00:01.500000000Z") == pytest.approx(1.5)
    assert _epoch("1970-01-01T00:00:02Z") == pytest.approx(2.0)
    assert _epoch("garbage") is None
