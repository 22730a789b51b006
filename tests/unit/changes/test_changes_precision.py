"""Precision/recall on a real git repo: 30 stacks, 100 random commits, brute-force ground truth."""

from __future__ import annotations

import os
import random
import subprocess
from pathlib import Path

from stackgen_helper import FakeRepo, generate

from fleetflow.changes import detect_changes
from fleetflow.errors import GitError
from fleetflow.git import CachedRepo, RepoCache

ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x.invalid"}
ENV |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@x.invalid"}


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=ENV)


def sync_worktree(work: Path, repo: FakeRepo, written: dict[str, str]) -> None:
    """Make the work tree equal ``repo.files``; ``written`` is what is on disk now (updated)."""
    for gone in set(written) - set(repo.files):
        (work / gone).unlink()
        del written[gone]
    for rel, text in repo.files.items():
        if written.get(rel) != text:
            target = work / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
            written[rel] = text


def reader(cached: CachedRepo, commit: str):  # type: ignore[no-untyped-def]
    def read(path: str) -> bytes | None:
        try:
            return cached.read_file(commit, path)
        except GitError:
            return None

    return read


def test_hundred_commits_full_precision_and_recall(tmp_path: Path) -> None:
    bare, work = tmp_path / "remote.git", tmp_path / "work"
    bare.mkdir()
    git(bare, "init", "--bare", "-q", "-b", "main")
    git(tmp_path, "init", "-q", "-b", "main", str(work))
    git(work, "remote", "add", "origin", str(bare))
    repo = generate(seed=6, n_stacks=30)
    written: dict[str, str] = {}
    sync_worktree(work, repo, written)
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "initial")
    cache = RepoCache(tmp_path / "cache")
    rng = random.Random(42)
    old_commit = None
    total_flagged = 0
    for serial in range(101):
        prints, var_hashes = repo.fingerprints(), repo.variable_hashes()
        if serial:
            for _ in range(rng.randint(1, 3)):
                repo.edit(rng, serial)
            sync_worktree(work, repo, written)
            git(work, "add", "-A")
            git(work, "commit", "-q", "--allow-empty", "-m", f"c{serial}")
        git(work, "push", "-q", "origin", "HEAD:main")
        cached = cache.ensure(str(bare), "main")
        new_commit = cached.head()
        if old_commit is not None:
            paths = cached.changed_paths(old_commit, new_commit)
            assert paths is not None
            affected = detect_changes(
                repo.inputs(reader(cached, new_commit)),
                paths,
                old_variables=var_hashes,
                new_variables=repo.variable_hashes(),
            )
            truth = {name for name, fp in repo.fingerprints().items() if fp != prints[name]}
            assert set(affected) == truth, f"commit {serial}: paths {paths}"
            total_flagged += len(truth)
        old_commit = new_commit
    assert total_flagged > 20  # the commits did touch stacks, so equality above was not vacuous
