"""Read a cached clone: branch heads, changed paths between commits, files and trees at a commit."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import git

from fleetflow.errors import GitError
from fleetflow.git.credentials import redact_url

_SHA = re.compile(r"^[0-9a-f]{4,64}$")


@dataclass(frozen=True)
class CachedRepo:
    """A fetched bare clone; every read is by commit, so concurrent fetches cannot tear it."""

    repo: git.Repo
    branch: str
    url: str
    _known: set[str] = field(default_factory=set, compare=False, repr=False)

    def head(self, branch: str | None = None) -> str:
        """The fetched head commit of ``branch`` (default: the tracked one)."""
        name = branch or self.branch
        try:
            return str(self.repo.git.rev_parse("--verify", f"refs/remotes/origin/{name}^{{commit}}"))
        except git.GitCommandError as exc:
            raise GitError(
                f"branch {name!r} of {redact_url(self.url)} has not been fetched",
                hint="track the branch with RepoCache.ensure(url, branch) first",
            ) from exc

    def has_commit(self, sha: str) -> bool:
        """Whether ``sha`` names a commit present in the cache."""
        if sha in self._known:
            return True
        if not _SHA.match(sha):
            return False
        try:
            self.repo.git.cat_file("-e", f"{sha}^{{commit}}")
        except git.GitCommandError:
            return False
        self._known.add(sha)
        return True

    def is_ancestor(self, old: str, new: str) -> bool:
        """Whether ``old`` is reachable from ``new`` (False after a force-push rewrote it away)."""
        try:
            self.repo.git.merge_base("--is-ancestor", old, new)
        except git.GitCommandError:
            return False
        return True

    def changed_paths(self, old: str | None, new: str) -> list[str] | None:
        """Repo paths whose content differs between ``old`` and ``new`` (sorted).

        A rename lists both the old and the new path. ``None`` means a full
        comparison is needed: no ``old`` commit, or it is missing from the cache.
        A force-push still diffs the two trees when both are present.
        """
        if old is None or not self.has_commit(old):
            return None
        self._require(new)
        out = self.repo.git.diff_tree("-r", "-z", "--no-renames", "--name-only", old, new)
        return sorted({p for p in out.split("\0") if p})

    def read_file(self, commit: str, path: str) -> bytes:
        """Bytes of ``path`` at ``commit``; :class:`GitError` when the path does not exist there."""
        self._require(commit)
        spec = f"{commit}:{path.strip('/')}"
        try:
            _sha, kind, _size = self.repo.git.get_object_header(spec)
        except ValueError as exc:
            where = f"commit {commit[:12]} of {redact_url(self.url)}"
            raise GitError(f"{path} does not exist at {where}") from exc
        kind_name = kind.decode() if isinstance(kind, bytes) else str(kind)  # typed str, returned as bytes
        if kind_name != "blob":
            raise GitError(f"{path} is a {kind_name}, not a file, at commit {commit[:12]}")
        data: bytes = self.repo.git.get_object_data(spec)[3]
        return data

    def tree_files(self, commit: str, under: str = "") -> dict[str, str]:
        """``{path: blob sha}`` of every file at ``commit`` under directory ``under`` ('' = whole repo)."""
        self._require(commit)
        prefix = under.strip("/")
        args = ["-r", "-z", "--full-tree", commit]
        if prefix:
            args += ["--", prefix + "/"]
        out = self.repo.git.ls_tree(*args)
        files: dict[str, str] = {}
        for entry in out.split("\0"):
            if not entry:
                continue
            meta, path = entry.split("\t", 1)
            _mode, kind, sha = meta.split(" ")
            if kind == "blob":
                files[path] = sha
        return files

    def _require(self, commit: str) -> None:
        if not self.has_commit(commit):
            raise GitError(
                f"commit {commit[:12]} is not in the cache of {redact_url(self.url)}",
                hint="it may have been force-pushed away; poll again for the current head",
            )
