"""RepoCache / CachedRepo against real bare repositories."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from git_remote_helper import Remote

from fleetflow.errors import GitError
from fleetflow.git import RepoCache


def test_clone_once_then_fetch_new_commits(remote: Remote, tmp_path: Path) -> None:
    first = remote.commit({"a/compose.yaml": "services: {}\n", "README.md": "hi\n"})
    cache = RepoCache(tmp_path / "cache")
    repo = cache.ensure(remote.url, "main")
    assert repo.head() == first
    second = remote.commit({"a/compose.yaml": "services: {x: {}}\n"})
    again = cache.ensure(remote.url, "main")
    assert again.repo.git_dir == repo.repo.git_dir
    assert again.head() == second
    assert again.changed_paths(first, second) == ["a/compose.yaml"]
    assert again.read_file(first, "a/compose.yaml") == b"services: {}\n"
    assert again.read_file(second, "a/compose.yaml") == b"services: {x: {}}\n"
    assert set(again.tree_files(second)) == {"a/compose.yaml", "README.md"}
    assert list(again.tree_files(second, "a")) == ["a/compose.yaml"]


def test_file_url_and_rename_delete_paths(remote: Remote, tmp_path: Path) -> None:
    first = remote.commit({"x/one.env": "A=1\n", "y/two.env": "B=2\n"})
    remote.git("mv", "x/one.env", "x/uno.env")
    second = remote.commit({"y/two.env": None})
    repo = RepoCache(tmp_path / "c").ensure(remote.bare.as_uri(), "main")
    assert repo.changed_paths(first, second) == ["x/one.env", "x/uno.env", "y/two.env"]


def test_changed_paths_none_without_old_commit(remote: Remote, tmp_path: Path) -> None:
    head = remote.commit({"f": "1"})
    repo = RepoCache(tmp_path / "c").ensure(remote.url, "main")
    assert repo.changed_paths(None, head) is None
    assert repo.changed_paths("0" * 40, head) is None
    assert repo.changed_paths("not-a-sha", head) is None


def test_read_errors_name_path_and_commit(remote: Remote, tmp_path: Path) -> None:
    head = remote.commit({"dir/f": "1"})
    repo = RepoCache(tmp_path / "c").ensure(remote.url, "main")
    with pytest.raises(GitError, match=r"nope\.txt does not exist at commit"):
        repo.read_file(head, "nope.txt")
    with pytest.raises(GitError, match="is a tree"):
        repo.read_file(head, "dir")
    with pytest.raises(GitError, match="not in the cache"):
        repo.tree_files("f" * 40)


def test_missing_branch_and_missing_remote_raise_git_error(remote: Remote, tmp_path: Path) -> None:
    remote.commit({"f": "1"})
    cache = RepoCache(tmp_path / "c")
    with pytest.raises(GitError, match="branch 'dev'"):
        cache.ensure(remote.url, "dev")
    with pytest.raises(GitError, match="cannot fetch"):
        cache.ensure(str(tmp_path / "absent.git"), "main")


def test_corrupt_cache_is_recloned(remote: Remote, tmp_path: Path) -> None:
    head = remote.commit({"f": "1"})
    cache = RepoCache(tmp_path / "c")
    path = Path(cache.ensure(remote.url, "main").repo.git_dir)
    shutil.rmtree(path / "objects")
    (path / "objects").mkdir()
    assert cache.ensure(remote.url, "main").read_file(head, "f") == b"1"
    (path / "HEAD").write_text("garbage")
    assert cache.ensure(remote.url, "main").head() == head


def test_cache_pointing_elsewhere_is_recloned(remote: Remote, tmp_path: Path) -> None:
    head = remote.commit({"f": "1"})
    cache = RepoCache(tmp_path / "c")
    repo = cache.ensure(remote.url, "main")
    repo.repo.git.remote("set-url", "origin", str(tmp_path / "other.git"))
    assert cache.ensure(remote.url, "main").head() == head


def test_force_push_updates_cache_without_divergence(remote: Remote, tmp_path: Path) -> None:
    base = remote.commit({"f": "1"})
    old = remote.commit({"f": "2"})
    cache = RepoCache(tmp_path / "c")
    repo = cache.ensure(remote.url, "main")
    remote.git("reset", "-q", "--hard", base)
    new = remote.commit({"g": "3"}, "rewrite")
    repo = cache.ensure(remote.url, "main")
    assert repo.head() == new
    assert not repo.is_ancestor(old, new)
    assert repo.changed_paths(old, new) == ["f", "g"]


def test_shallow_cache_reads_head(remote: Remote, tmp_path: Path) -> None:
    first = remote.commit({"f": "1"})
    for i in range(5):
        remote.commit({"f": str(i + 2)})
    repo = RepoCache(tmp_path / "c", depth=1).ensure(remote.bare.as_uri(), "main")
    assert repo.read_file(repo.head(), "f") == b"6"
    assert repo.changed_paths(first, repo.head()) is None
