"""Parsing Kopia's JSON output and building its errors (the CLI itself is tested in tests/backup)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from fleetflow.backup.kopia_models import (
    BackupCommandFailed,
    parse_json,
    parse_policy,
    parse_restored,
    parse_snapshot,
    parse_verify,
)
from fleetflow.errors import BackupError

MANIFEST = {
    "id": "97f0e9b52a21ca50d236b69ccfc22faf",
    "source": {"host": "vm", "userName": "root", "path": "/tmp/kx/data"},
    "startTime": "2026-11-25T10:22:54.025592172Z",
    "endTime": "2026-11-25T10:22:55.526800328Z",
    "rootEntry": {
        "name": "data",
        "type": "d",
        "obj": "kf7a9909079e578afee7cd3cb4a19a25f",
        "summ": {"size": 6, "files": 1, "symlinks": 0, "dirs": 1, "numFailed": 0},
    },
}


def test_parse_snapshot_manifest() -> None:
    snap = parse_snapshot(MANIFEST)
    assert snap.id == "97f0e9b52a21ca50d236b69ccfc22faf"
    assert snap.source == Path("/tmp/kx/data")
    assert snap.root == "kf7a9909079e578afee7cd3cb4a19a25f"
    assert (snap.size, snap.files, snap.dirs, snap.errors) == (6, 1, 1, 0)
    assert snap.start_time == datetime(2026, 11, 25, 10, 22, 54, 25592, tzinfo=UTC)
    assert snap.duration_seconds == pytest.approx(1.501, abs=0.001)


def test_parse_snapshot_rejects_unexpected_shape() -> None:
    with pytest.raises(BackupError, match="unexpected Kopia snapshot manifest"):
        parse_snapshot({"id": "x"})


def test_parse_verify_policy_and_restore_summary() -> None:
    verify = parse_verify({"stats": {"processedObjectCount": 2, "processedBytes": 6, "readFileCount": 1}})
    assert (verify.objects, verify.bytes, verify.files_read, verify.errors) == (2, 6, 1, 0)
    policy = parse_policy({"retention": {"keepLatest": 10, "keepDaily": 3, "keepWeekly": 2}})
    kept = (policy.keep_latest, policy.keep_daily, policy.keep_weekly, policy.keep_monthly)
    assert kept == (10, 3, 2, None)
    assert parse_restored("Restored 12 files, 3 directories and 0 symbolic links (6 B).") == (12, 3)
    assert parse_restored("nothing") == (0, 0)


def test_parse_json_names_the_command() -> None:
    with pytest.raises(BackupError, match="`kopia snapshot list` printed no valid JSON"):
        parse_json("Enter password:", "kopia snapshot list")


def test_command_failed_keeps_the_stderr_tail() -> None:
    err = BackupCommandFailed(["kopia", "snapshot", "list"], 1, "\n".join(f"line {n}" for n in range(40)))
    assert err.exit_status == 1
    assert err.stderr_tail.splitlines() == [f"line {n}" for n in range(25, 40)]
    assert str(err).startswith("`kopia snapshot list` exited 1:\nline 25")
