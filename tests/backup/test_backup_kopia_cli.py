"""The Kopia wrapper against the real kopia binary and filesystem repositories."""

from __future__ import annotations

import filecmp
import os
import threading
from pathlib import Path

import psutil
import pytest
from pydantic import SecretStr

from fleetflow.backup import BackupCommandFailed, Kopia, RepositoryAction, verify_manifest, write_manifest
from fleetflow.errors import BackupError

pytestmark = pytest.mark.kopia
PASSWORD = "correct-horse-battery-42"


def tree(root: Path) -> Path:
    """A config dir and a small dump-like folder with a manifest."""
    (root / "stacks" / "web").mkdir(parents=True)
    (root / "stacks" / "web" / "compose.yaml").write_text("services:\n  web:\n    image: busybox\n")
    (root / "stacks" / ".env").write_text("A=1\n")
    (root / "dump" / "ff").mkdir(parents=True)
    (root / "dump" / "ff" / "stacks.bson.gz").write_bytes(os.urandom(200_000))
    write_manifest(root / "dump")
    return root


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory, kopia_bin: str) -> tuple[Kopia, Path]:
    base = tmp_path_factory.mktemp("kopia")
    kopia = Kopia(kopia_bin, base / "client", password=SecretStr(PASSWORD), timeout_seconds=120)
    assert kopia.connect_or_create_filesystem(base / "repo") == RepositoryAction.CREATED
    return kopia, base


def test_reconnect_is_idempotent_and_a_second_client_connects(
    repo: tuple[Kopia, Path], kopia_bin: str
) -> None:
    kopia, base = repo
    assert kopia.connect_or_create_filesystem(base / "repo") == RepositoryAction.ALREADY_CONNECTED
    other = Kopia(kopia_bin, base / "client2", password=SecretStr(PASSWORD))
    assert other.connect_or_create_filesystem(base / "repo") == RepositoryAction.CONNECTED
    assert not (base / "client2" / "repository.config.kopia-password").exists()


def test_snapshot_list_restore_verify_round_trip(repo: tuple[Kopia, Path], tmp_path: Path) -> None:
    kopia, _ = repo
    data = tree(tmp_path / "src")
    stacks, dump = kopia.snapshot([data / "stacks", data / "dump"], description="nightly")
    assert (stacks.source, stacks.files, stacks.dirs) == ((data / "stacks").resolve(), 2, 2)
    assert (
        dump.size
        == (data / "dump" / "ff" / "stacks.bson.gz").stat().st_size
        + (data / "dump" / "MANIFEST.sha256").stat().st_size
    )
    assert dump.id != stacks.id
    assert [s.id for s in kopia.list_snapshots(data / "dump")] == [dump.id]
    assert {stacks.id, dump.id} <= {s.id for s in kopia.list_snapshots()}

    restored = kopia.restore(dump.id, tmp_path / "out-dump")
    assert (restored.files, restored.dirs) == (2, 2)
    assert verify_manifest(tmp_path / "out-dump") == 1  # byte-identical, per the dump's own checksums
    kopia.restore(stacks.id, tmp_path / "out-stacks")
    cmp = filecmp.dircmp(data / "stacks", tmp_path / "out-stacks")
    assert cmp.left_only == cmp.right_only == cmp.diff_files == []
    assert (tmp_path / "out-stacks" / "web" / "compose.yaml").read_bytes() == (
        data / "stacks" / "web" / "compose.yaml"
    ).read_bytes()

    verified = kopia.verify()
    assert verified.errors == 0
    assert verified.files_read >= 3


def test_retention_policy_is_set_and_read_back(repo: tuple[Kopia, Path], tmp_path: Path) -> None:
    kopia, _ = repo
    policy = kopia.set_retention_policy(keep_daily=7, keep_weekly=4, keep_monthly=3, keep_latest=5)
    assert (policy.keep_latest, policy.keep_daily, policy.keep_weekly, policy.keep_monthly) == (5, 7, 4, 3)
    target = tree(tmp_path / "t") / "stacks"
    scoped = kopia.set_retention_policy(keep_daily=2, target=target)
    assert scoped.keep_daily == 2


def test_restore_of_unknown_snapshot_is_a_clear_error(repo: tuple[Kopia, Path], tmp_path: Path) -> None:
    kopia, _ = repo
    with pytest.raises(BackupCommandFailed) as caught:
        kopia.restore("deadbeef", tmp_path / "out")
    assert caught.value.exit_status == 1
    assert caught.value.command[:3] == ["kopia", "snapshot", "restore"]
    assert "deadbeef" in caught.value.stderr_tail


def test_wrong_password_names_the_fix_and_never_the_password(
    repo: tuple[Kopia, Path], kopia_bin: str
) -> None:
    _, base = repo
    wrong = "not-the-password-77"
    intruder = Kopia(kopia_bin, base / "client3", password=SecretStr(wrong))
    with pytest.raises(BackupError) as caught:
        intruder.connect_or_create_filesystem(base / "repo")
    message = str(caught.value)
    assert "invalid repository password" in message
    assert "check the repository password secret" in message
    assert wrong not in message
    assert PASSWORD not in message


def test_missing_path_is_refused_before_running_kopia(repo: tuple[Kopia, Path], tmp_path: Path) -> None:
    kopia, _ = repo
    with pytest.raises(BackupError, match="does not exist"):
        kopia.snapshot([tmp_path / "nope"])


def test_password_never_appears_in_the_process_list(repo: tuple[Kopia, Path], tmp_path: Path) -> None:
    kopia, _ = repo
    data = tmp_path / "big"
    data.mkdir()
    for n in range(40):
        (data / f"f{n}").write_bytes(os.urandom(256_000))
    seen: list[list[str]] = []
    finished = threading.Event()

    def run() -> None:
        try:
            kopia.snapshot([data])
        finally:
            finished.set()

    worker = threading.Thread(target=run)
    worker.start()
    for _ in range(100_000):
        if finished.is_set():
            break
        for proc in psutil.process_iter(["cmdline"]):
            cmdline = proc.info["cmdline"] or []
            if cmdline and cmdline[0] == kopia.binary:
                seen.append(cmdline)
    worker.join(timeout=60)
    assert seen, "the kopia process was never observed"
    assert all(PASSWORD not in " ".join(cmd) for cmd in seen)
    assert any("snapshot" in cmd for cmd in seen)
