"""The kept local Prefect server's idle timeout: the watcher ends its command once the stamp is stale."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from fleetflow.errors import ConfigError
from fleetflow.runtime import local_server
from fleetflow.runtime.idle_watch import idle_for, main, watch

pytestmark = pytest.mark.unit

SLEEPER = [sys.executable, "-c", "import time; time.sleep(600)"]


def test_a_stale_stamp_ends_the_command(tmp_path: Path) -> None:
    stamp = tmp_path / "last-used"
    stamp.touch()
    os.utime(stamp, (0, 0))  # last used in 1970
    assert watch(stamp, 60.0, SLEEPER, check_seconds=0.1) == 0  # returns only after ending the sleeper


def test_a_missing_stamp_counts_as_idle(tmp_path: Path) -> None:
    assert idle_for(tmp_path / "gone", 100.0) == float("inf")
    assert watch(tmp_path / "gone", 60.0, SLEEPER, check_seconds=0.1) == 0


def test_the_commands_own_exit_is_passed_on(tmp_path: Path) -> None:
    stamp = tmp_path / "last-used"
    stamp.touch()
    assert watch(stamp, 3600.0, [sys.executable, "-c", "raise SystemExit(3)"]) == 3


def test_usage_is_refused_aloud(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stamp", "60"]) == 2
    assert "usage" in capsys.readouterr().err


def test_idle_minutes_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLEETFLOW_PREFECT_IDLE_MINUTES", raising=False)
    assert local_server.idle_seconds() == 3600
    monkeypatch.setenv("FLEETFLOW_PREFECT_IDLE_MINUTES", "0")
    assert local_server.idle_seconds() == 0
    monkeypatch.setenv("FLEETFLOW_PREFECT_IDLE_MINUTES", "soon")
    with pytest.raises(ConfigError, match="FLEETFLOW_PREFECT_IDLE_MINUTES"):
        local_server.idle_seconds()
