"""A repository at one commit: the files a sync reads and a deploy ships.

``repo`` is a git URL, a ``file://`` URL or a local path. A local directory
that is not itself a git repository root (such as ``examples/homelab`` inside
fleetflow's own checkout) is read from its working tree; its "commit" is then
a digest of its files, so any edit reads as a new revision.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from fleetflow.errors import ConfigError
from fleetflow.git import CachedRepo, RepoCache, redact_url
from fleetflow.paths import confine
from fleetflow.resources.sources import FileSource, GitTreeSource, WorkTreeSource

WORKTREE_PREFIX = "worktree-"


@dataclass(frozen=True)
class RepoSnapshot:
    """Files of one revision of a repository, with their commit."""

    repo: str
    commit: str
    source: FileSource
    cached: CachedRepo | None = None
    root: Path | None = None
    stacks: Mapping[str, RepoSnapshot] = field(default_factory=dict, compare=False, hash=False, repr=False)
    """Snapshots of the other repositories stacks take their files from (see runtime.stack_repos)."""

    def for_stack(self, name: str) -> RepoSnapshot:
        """The snapshot stack ``name`` reads its files from: its own repository's, else this one."""
        return self.stacks.get(name, self)

    @property
    def short(self) -> str:
        """Short commit for run names and tables."""
        return self.commit.removeprefix(WORKTREE_PREFIX)[:7]

    @property
    def display(self) -> str:
        """The repository as shown to people (credentials removed)."""
        return redact_url(self.repo)

    def read_bytes(self, path: str) -> bytes:
        """Bytes of ``path`` (relative to the repo root) at this revision."""
        if self.cached is not None:
            return self.cached.read_file(self.commit, path)
        assert self.root is not None
        return Path(confine(self.root, path, purpose=f"repository file of {self.display}")).read_bytes()


def is_worktree(repo: str) -> bool:
    """Whether ``repo`` is a plain local directory (not a git repository root)."""
    path = Path(repo)
    return path.is_dir() and not (path / ".git").exists() and not (path / "HEAD").is_file()


def worktree_snapshot(root: Path) -> RepoSnapshot:
    """A snapshot of a directory's current files."""
    if not root.is_dir():
        raise ConfigError(
            f"repository {root} does not exist", hint="Pass the path of a checkout or a git URL."
        )
    source = WorkTreeSource(root)
    digest = hashlib.sha256()
    for rel in source.list_files():
        digest.update(rel.encode() + b"\0" + (root / rel).read_bytes() + b"\0")
    return RepoSnapshot(
        repo=str(root), commit=WORKTREE_PREFIX + digest.hexdigest()[:12], source=source, root=root
    )


def git_snapshot(
    cache: RepoCache, repo: str, *, branch: str = "main", commit: str | None = None
) -> RepoSnapshot:
    """Fetch ``branch`` of ``repo`` into the cache and open ``commit`` (default: the branch head).

    A commit the cache already holds (a poll just fetched it) is opened without a second fetch.
    """
    cached = (cache.holding(repo, branch, commit) if commit else None) or cache.ensure(repo, branch)
    sha = commit or cached.head()
    source = GitTreeSource(cached.repo, sha)
    return RepoSnapshot(repo=repo, commit=source.hexsha, source=source, cached=cached)


def open_snapshot(
    repo: str, *, cache: RepoCache, branch: str = "main", commit: str | None = None
) -> RepoSnapshot:
    """Open ``repo`` at ``commit``: a working tree for plain directories, else through the git cache."""
    if is_worktree(repo):
        snapshot = worktree_snapshot(Path(repo).resolve())
        if commit and commit != snapshot.commit:
            raise ConfigError(
                f"{repo} changed since commit {commit} was planned (now {snapshot.commit})",
                hint="Run the sync again; a working tree has no history to go back to.",
            )
        return snapshot
    return git_snapshot(cache, repo, branch=branch, commit=commit)
