"""pull_all over real SSH and local hosts at once: each checkout gets its own, intact result."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from fleetflow.fleetops import PullStatus, PullTarget, pull_all
from fleetflow.hosts import LocalHost
from fleetflow.hosts.ssh import SshHost

pytestmark = pytest.mark.ssh

ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x.invalid"}
ENV |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@x.invalid"}


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True, env=ENV)
    return done.stdout.strip()


def commit_and_push(work: Path, name: str) -> str:
    (work / name).write_text(name)
    git(work, "add", "-A")
    git(work, "commit", "-qm", name)
    git(work, "push", "-q", "origin", "HEAD:main")
    return git(work, "rev-parse", "HEAD")


@pytest.fixture
def remote(tmp_path: Path) -> tuple[Path, Path]:
    """A bare repo and a clone that pushes to it, with one commit on main."""
    bare, work = tmp_path / "remote.git", tmp_path / "work"
    bare.mkdir()
    git(bare, "init", "--bare", "-q", "-b", "main")
    git(tmp_path, "clone", "-q", str(bare), str(work))
    git(work, "checkout", "-q", "-b", "main")
    commit_and_push(work, "README")
    return bare, work


async def test_pull_all_over_ssh_and_local(host: SshHost, remote: tuple[Path, Path], tmp_path: Path) -> None:
    bare, work = remote
    for name in ("edge-checkout", "local-checkout"):
        git(tmp_path, "clone", "-q", "-b", "main", str(bare), str(tmp_path / name))
    old = git(tmp_path / "edge-checkout", "rev-parse", "HEAD")
    new = commit_and_push(work, "compose.yaml")
    git(tmp_path / "local-checkout", "pull", "-q", "--ff-only")
    local = LocalHost("core", stacks_root=tmp_path / "stacks")
    targets = [
        PullTarget(host, str(tmp_path / "edge-checkout")),
        PullTarget(host, str(tmp_path / "not-cloned")),
        PullTarget(local, str(tmp_path / "local-checkout")),
    ]
    results = await pull_all(targets, timeout=30)
    edge, missing, core = results
    assert (edge.server, edge.status, edge.from_commit, edge.to_commit) == (
        "edge",
        PullStatus.UPDATED,
        old,
        new,
    )
    assert git(tmp_path / "edge-checkout", "rev-parse", "HEAD") == new
    assert missing.status is PullStatus.FAILED
    assert "not-cloned" in missing.detail
    assert (core.server, core.status, core.to_commit) == ("core", PullStatus.UP_TO_DATE, new)
