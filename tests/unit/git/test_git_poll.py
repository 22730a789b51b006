"""poll(): cursor handling, changed paths, force-push, and the no-change fast path."""

from __future__ import annotations

from pathlib import Path

import git
import pytest
from git_remote_helper import Remote

from fleetflow.git import RepoCache, poll


class Cursor:
    """An in-memory cursor that counts reads and writes."""

    def __init__(self, value: str | None = None) -> None:
        self.value, self.reads, self.writes = value, 0, 0

    def get(self) -> str | None:
        self.reads += 1
        return self.value

    def set(self, sha: str) -> None:
        self.writes += 1
        self.value = sha


def test_first_poll_then_no_change_then_change(remote: Remote, tmp_path: Path) -> None:
    first = remote.commit({"s1/compose.yaml": "a", "s2/compose.yaml": "b"})
    cache, cursor = RepoCache(tmp_path / "c"), Cursor()
    result = poll(cache, remote.url, "main", cursor.get, cursor.set)
    assert (result.new_commit, result.old, result.changed_paths) == (first, None, None)
    assert cursor.value == first

    quiet = poll(cache, remote.url, "main", cursor.get, cursor.set)
    assert not quiet.changed
    assert quiet.new_commit is None
    assert (cursor.reads, cursor.writes) == (2, 1)

    second = remote.commit({"s2/compose.yaml": "b2"})
    moved = poll(cache, remote.url, "main", cursor.get, cursor.set)
    assert moved.new_commit == second
    assert moved.old == first
    assert moved.changed_paths == ["s2/compose.yaml"]
    assert not moved.force_pushed


def test_no_change_poll_runs_one_git_fetch(
    remote: Remote, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    head = remote.commit({"f": "1"})
    cache, cursor = RepoCache(tmp_path / "c"), Cursor(head)
    poll(cache, remote.url, "main", cursor.get, cursor.set)
    calls: list[str] = []
    original = git.Git.execute

    def spy(self: git.Git, command: list[str], *args: object, **kwargs: object) -> object:
        calls.append(command[1] if len(command) > 1 else command[0])
        return original(self, command, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(git.Git, "execute", spy)
    cursor.reads = 0
    assert not poll(cache, remote.url, "main", cursor.get, cursor.set).changed
    assert calls.count("fetch") == 1
    assert cursor.reads == 1
    assert cursor.writes == 0


def test_force_push_is_flagged_and_still_diffed(remote: Remote, tmp_path: Path) -> None:
    base = remote.commit({"keep": "1"})
    old = remote.commit({"gone": "x"})
    cache, cursor = RepoCache(tmp_path / "c"), Cursor(base)
    poll(cache, remote.url, "main", cursor.get, cursor.set)
    assert cursor.value == old
    remote.git("reset", "-q", "--hard", base)
    new = remote.commit({"other": "y"}, "rewrite")
    result = poll(cache, remote.url, "main", cursor.get, cursor.set)
    assert result.force_pushed
    assert result.new_commit == new
    assert result.changed_paths == ["gone", "other"]


def test_unknown_cursor_commit_needs_full_comparison(remote: Remote, tmp_path: Path) -> None:
    head = remote.commit({"f": "1"})
    cursor = Cursor("ab" * 20)
    result = poll(RepoCache(tmp_path / "c"), remote.url, "main", cursor.get, cursor.set, advance=False)
    assert result.new_commit == head
    assert result.changed_paths is None
    assert result.force_pushed
    assert cursor.value == "ab" * 20
