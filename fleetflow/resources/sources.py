"""Where resource files are read from: a working tree, a git commit, or memory (tests).

Paths are POSIX and relative to the repository root. ``resolve`` follows
symlinks and returns ``None`` when a path leaves the repository.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from fleetflow.errors import GitError
from fleetflow.paths import confine, within

_MAX_LINKS = 40


@runtime_checkable
class FileSource(Protocol):
    """Read-only view of a repository's files."""

    def read_text(self, path: str) -> str: ...
    def exists(self, path: str) -> bool: ...
    def is_dir(self, path: str) -> bool: ...
    def list_files(self, path: str = "") -> list[str]: ...
    def resolve(self, path: str) -> str | None: ...


def normalize(path: str) -> str | None:
    """A clean relative path, or ``None`` if it is absolute or climbs out with ``..``."""
    if not path or path in {".", "./"}:
        return ""
    if path.startswith("/") or path.startswith("\\"):
        return None
    clean = posixpath.normpath(path)
    if clean == ".":
        return ""
    if clean == ".." or clean.startswith("../"):
        return None
    return clean


class WorkTreeSource:
    """Files of a directory on disk (a checkout's working tree)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._root = str(self.root)

    def _path(self, path: str) -> Path:
        return self.root / path if path else self.root

    def _os(self, path: str) -> str:
        return os.path.join(self._root, path) if path else self._root

    def read_text(self, path: str) -> str:
        return Path(confine(self.root, path, purpose="repository file")).read_text(encoding="utf-8")

    def exists(self, path: str) -> bool:
        return os.path.exists(self._os(path))

    def is_dir(self, path: str) -> bool:
        return os.path.isdir(self._os(path))

    def list_files(self, path: str = "") -> list[str]:
        base = self._path(path)
        if base.is_file():
            return [path]
        files = (
            p
            for p in base.rglob("*")
            if p.is_file()
            and ".git" not in p.relative_to(self.root).parts
            and within(str(self.root), os.path.realpath(p))
        )
        return sorted(p.relative_to(self.root).as_posix() for p in files)

    def resolve(self, path: str) -> str | None:
        clean = normalize(path)
        if clean is None:
            return None
        real = os.path.realpath(self._os(clean))
        if real == self._root:
            return ""
        if not real.startswith(self._root + os.sep):
            return None
        return real[len(self._root) + 1 :].replace(os.sep, "/")


class MemorySource:
    """Files held in a dict (path -> text); for tests and generated repos."""

    def __init__(self, files: Mapping[str, str]) -> None:
        self.files = {normalize(k) or k: v for k, v in files.items()}

    def read_text(self, path: str) -> str:
        try:
            return self.files[path]
        except KeyError:
            raise FileNotFoundError(path) from None

    def exists(self, path: str) -> bool:
        return path in self.files or self.is_dir(path)

    def is_dir(self, path: str) -> bool:
        prefix = f"{path}/" if path else ""
        return any(k.startswith(prefix) for k in self.files) and path not in self.files

    def list_files(self, path: str = "") -> list[str]:
        if path in self.files:
            return [path]
        prefix = f"{path}/" if path else ""
        return sorted(k for k in self.files if k.startswith(prefix))

    def resolve(self, path: str) -> str | None:
        return normalize(path)


class GitTreeSource:
    """Files of one commit of a git repository (GitPython), symlinks followed inside the tree."""

    def __init__(self, repo: Any, commit: str = "HEAD") -> None:
        import git

        try:
            self.repo = repo if isinstance(repo, git.Repo) else git.Repo(str(repo))
            self.commit = self.repo.commit(commit)
            self.tree = self.commit.tree
            self.hexsha: str = self.commit.hexsha
        except (git.GitError, ValueError, OSError) as exc:
            raise GitError(
                f"cannot read commit {commit!r} of {repo}: {type(exc).__name__}",
                hint="check the path and that the commit exists (git fetch?)",
            ) from exc

    def _obj(self, path: str) -> Any:
        if not path:
            return self.tree
        try:
            return self.tree / path
        except KeyError:
            return None

    def read_text(self, path: str) -> str:
        real = self.resolve(path)
        obj = self._obj(real) if real is not None else None
        if obj is None or obj.type != "blob":
            raise FileNotFoundError(path)
        data: bytes = obj.data_stream.read()
        return data.decode("utf-8")

    def exists(self, path: str) -> bool:
        real = self.resolve(path)
        return real is not None and self._obj(real) is not None

    def is_dir(self, path: str) -> bool:
        real = self.resolve(path)
        obj = self._obj(real) if real is not None else None
        return obj is not None and obj.type == "tree"

    def list_files(self, path: str = "") -> list[str]:
        obj = self._obj(path)
        if obj is None:
            return []
        if obj.type == "blob":
            return [path]
        return sorted(str(item.path) for item in obj.traverse() if item.type == "blob")

    def resolve(self, path: str) -> str | None:
        clean = normalize(path)
        if clean is None:
            return None
        parts, done, hops = clean.split("/") if clean else [], "", 0
        while parts:
            step = parts.pop(0)
            current = posixpath.join(done, step) if done else step
            obj = self._obj(current)
            if obj is not None and obj.type == "blob" and obj.mode == 0o120000:
                hops += 1
                target = obj.data_stream.read().decode("utf-8", "replace")
                joined = normalize(posixpath.join(done, target)) if not target.startswith("/") else None
                if joined is None or hops > _MAX_LINKS:
                    return None
                parts = (joined.split("/") if joined else []) + parts
                done = ""
                continue
            done = current
        return done
