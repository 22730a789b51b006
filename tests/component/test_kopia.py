"""The real Kopia CLI creates a filesystem repository, snapshots a folder and restores it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.kopia


def test_snapshot_and_restore(kopia_bin: str, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "KOPIA_PASSWORD": "test-only-password",
        "KOPIA_CONFIG_PATH": str(tmp_path / "kopia.config"),
        "KOPIA_CACHE_DIRECTORY": str(tmp_path / "cache"),
        "KOPIA_LOG_DIR": str(tmp_path / "logs"),
        "KOPIA_CHECK_FOR_UPDATES": "false",
    }

    def kopia(*args: str) -> str:
        done = subprocess.run([kopia_bin, *args], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    source = tmp_path / "source"
    (source / "sub").mkdir(parents=True)
    (source / "a.txt").write_text("alpha\n")
    (source / "sub" / "b.bin").write_bytes(os.urandom(4096))
    kopia("repository", "create", "filesystem", "--path", str(tmp_path / "repo"))
    kopia("snapshot", "create", str(source), "--json")
    snapshots = json.loads(kopia("snapshot", "list", str(source), "--json"))
    assert len(snapshots) == 1
    restored = tmp_path / "restored"
    kopia("snapshot", "restore", snapshots[0]["id"], str(restored))
    assert (restored / "a.txt").read_text() == "alpha\n"
    assert (restored / "sub" / "b.bin").read_bytes() == (source / "sub" / "b.bin").read_bytes()
