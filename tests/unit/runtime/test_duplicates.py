"""Prefect's "aborted submission" records for coalesced runs become one debug line each."""

from __future__ import annotations

import logging

import pytest

from fleetflow.runtime.duplicates import CoalescedRuns, install

pytestmark = pytest.mark.unit

MSG = "Aborted submission of flow run '%s': Server returned a non-pending state %r"


def record(msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("prefect.runner.state_proposer", logging.INFO, __file__, 1, msg, args, None)


def test_aborted_submissions_are_dropped_and_logged_once_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    quiet = CoalescedRuns()
    with caplog.at_level(logging.DEBUG, logger="fleetflow.runs"):
        assert quiet.filter(record(MSG, "run-1", "CANCELLED")) is False
        assert quiet.filter(record(MSG, "run-1", "CANCELLED")) is False
        assert quiet.filter(record(MSG, "run-2", "CANCELLED")) is False
    lines = [r for r in caplog.records if r.name == "fleetflow.runs"]
    assert [r.levelno for r in lines] == [logging.DEBUG, logging.DEBUG]
    assert "run-1" in lines[0].getMessage()


def test_other_records_pass() -> None:
    assert CoalescedRuns().filter(record("Failed to update state of flow run '%s'", "run-3")) is True


def test_install_is_idempotent() -> None:
    install()
    install()
    logger = logging.getLogger("prefect.runner.state_proposer")
    assert sum(isinstance(f, CoalescedRuns) for f in logger.filters) == 1
