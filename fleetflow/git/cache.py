"""Repository cache: one bare clone per (url, branch), fetched on each poll, recloned when broken.

The cache is a bare repository whose only remote-tracking ref is
``refs/remotes/origin/<branch>``, updated with a forced refspec, so a
force-push never leaves it diverged. Credentials travel in the environment of
each git call (see :mod:`fleetflow.git.credentials`), never in ``.git/config``.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import git

from fleetflow.errors import GitError
from fleetflow.git.credentials import GitCredentials, mask, redact_url, split_credentials
from fleetflow.git.reading import CachedRepo

log = logging.getLogger(__name__)

_CORRUPT_MARKERS = (
    "not a git repository",
    "corrupt",
    "bad object",
    "loose object",
    "unable to read",
    "did not send all necessary objects",
    "missing",
)


@dataclass
class RepoCache:
    """A directory of bare clones, one per tracked (url, branch)."""

    root: Path
    depth: int | None = None
    fetches: Counter[str] = field(default_factory=Counter, init=False, repr=False, compare=False)
    """Fetches made, by ``url#branch`` (credentials removed): what a poll cost."""
    _locks: dict[str, threading.Lock] = field(default_factory=dict, init=False, repr=False)
    _guard: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def path_for(self, url: str, branch: str) -> Path:
        """Where the clone of ``url`` / ``branch`` lives (named by a hash: no secret in the path)."""
        clean, _ = split_credentials(url)
        digest = hashlib.sha256(f"{clean}\0{branch}".encode()).hexdigest()[:20]
        return self.root / digest

    def ensure(self, url: str, branch: str, credentials: GitCredentials | None = None) -> CachedRepo:
        """Clone ``url`` once, then fetch ``branch``; a broken cache is recloned. Raises :class:`GitError`."""
        clean, embedded = split_credentials(url)
        creds = credentials or embedded
        path = self.path_for(clean, branch)
        with self._lock(path):
            repo = self._open(path, clean)
            if repo is not None:
                try:
                    self._fetch(repo, clean, branch, creds)
                    return CachedRepo(repo, branch, clean)
                except GitError as exc:
                    if not _looks_corrupt(str(exc)) or not self._reachable(clean, creds):
                        raise
                    log.warning("repo cache %s is corrupt; recloning %s", path, redact_url(clean))
            shutil.rmtree(path, ignore_errors=True)
            repo = self._init(path, clean)
            self._fetch(repo, clean, branch, creds)
            return CachedRepo(repo, branch, clean)

    def cached(self, url: str, branch: str) -> CachedRepo | None:
        """The clone of ``url`` / ``branch`` as last fetched, without fetching (None when there is none)."""
        clean, _ = split_credentials(url)
        path = self.path_for(clean, branch)
        with self._lock(path):
            repo = self._open(path, clean) if path.exists() else None
        return CachedRepo(repo, branch, clean) if repo is not None else None

    def holding(self, url: str, branch: str, commit: str) -> CachedRepo | None:
        """The cached clone when it already holds ``commit`` (no fetch), else None."""
        clean, _ = split_credentials(url)
        path = self.path_for(clean, branch)
        if not path.exists():
            return None
        with self._lock(path):
            repo = self._open(path, clean)
        if repo is None:
            return None
        cached = CachedRepo(repo, branch, clean)
        return cached if cached.has_commit(commit) else None

    def _lock(self, path: Path) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(str(path), threading.Lock())

    @staticmethod
    def _open(path: Path, url: str) -> git.Repo | None:
        """The cached repo, or None when missing, not a bare repo, or pointing at another remote."""
        if not path.exists():
            return None
        try:
            repo = git.Repo(path)
            if not repo.bare or repo.remote("origin").url != url:
                log.warning("repo cache %s does not match %s; recloning", path, redact_url(url))
                return None
            repo.git.rev_parse("--git-dir")
        except (git.InvalidGitRepositoryError, git.NoSuchPathError, ValueError, git.GitCommandError):
            log.warning("repo cache %s is not a usable repository; recloning", path)
            return None
        return repo

    @staticmethod
    def _init(path: Path, url: str) -> git.Repo:
        path.mkdir(parents=True, exist_ok=True)
        repo = git.Repo.init(path, bare=True)
        repo.git.remote("add", "origin", url)
        repo.git.config("gc.auto", "0")
        return repo

    def _fetch(self, repo: git.Repo, url: str, branch: str, creds: GitCredentials | None) -> None:
        refspec = f"+refs/heads/{branch}:refs/remotes/origin/{branch}"
        args = ["--quiet", "--no-tags", "--prune", "--no-write-fetch-head"]
        if self.depth:
            args.append(f"--depth={self.depth}")
        env = creds.env() if creds else {"GIT_TERMINAL_PROMPT": "0"}
        self.fetches[f"{redact_url(url)}#{branch}"] += 1
        try:
            with repo.git.custom_environment(**env):
                repo.git.fetch(*args, "origin", refspec)
        except git.GitCommandError as exc:
            detail = mask(str(exc.stderr or exc), creds).strip()
            raise GitError(
                f"cannot fetch branch {branch!r} of {redact_url(url)}: {detail}",
                hint="check the URL, the branch name and the credentials reference",
            ) from exc
        try:
            repo.git.rev_parse("--verify", "--quiet", f"refs/remotes/origin/{branch}^{{tree}}")
            repo.git.cat_file("-e", f"refs/remotes/origin/{branch}^{{tree}}")
        except git.GitCommandError as exc:
            raise GitError(
                f"repo cache {repo.git_dir} is corrupt: head of {branch!r} cannot be read",
                hint="delete the cache directory; it is recloned on the next poll",
            ) from exc

    @staticmethod
    def _reachable(url: str, creds: GitCredentials | None) -> bool:
        env = creds.env() if creds else {"GIT_TERMINAL_PROMPT": "0"}
        runner = git.Git()
        try:
            with runner.custom_environment(**env):
                runner.ls_remote("--heads", url)
        except git.GitCommandError:
            return False
        return True


def _looks_corrupt(message: str) -> bool:
    lowered = message.lower()
    return any(marker in lowered for marker in _CORRUPT_MARKERS)
