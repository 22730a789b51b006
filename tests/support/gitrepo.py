"""Real git repositories for tests: a bare "remote" and a working clone that commits and pushes."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

GIT_ENV = {
    "GIT_AUTHOR_NAME": "fleetflow tests",
    "GIT_AUTHOR_EMAIL": "tests@fleetflow.invalid",
    "GIT_COMMITTER_NAME": "fleetflow tests",
    "GIT_COMMITTER_EMAIL": "tests@fleetflow.invalid",
}


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` and return stdout (raises on failure)."""
    import os

    done = subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True, env={**os.environ, **GIT_ENV}
    )
    return done.stdout.strip()


@dataclass
class GitRemote:
    """A bare repository (the remote fleetflow polls) plus a clone to edit it."""

    bare: Path
    work: Path

    @classmethod
    def create(cls, root: Path, branch: str = "main") -> GitRemote:
        bare, work = root / "remote.git", root / "work"
        bare.mkdir(parents=True)
        git(bare, "init", "--bare", "-q", "-b", branch)
        git(root, "clone", "-q", str(bare), str(work))
        git(work, "checkout", "-q", "-b", branch)
        return cls(bare=bare, work=work)

    @property
    def url(self) -> str:
        return str(self.bare)

    def write(self, files: dict[str, str]) -> None:
        for rel, text in files.items():
            path = self.work / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)

    def remove(self, *paths: str) -> None:
        git(self.work, "rm", "-q", "-r", *paths)

    def commit(self, message: str, files: dict[str, str] | None = None) -> str:
        """Write ``files``, commit everything, push; return the new commit sha."""
        if files:
            self.write(files)
        git(self.work, "add", "-A")
        git(self.work, "commit", "-q", "-m", message)
        git(self.work, "push", "-q", "origin", "HEAD")
        return git(self.work, "rev-parse", "HEAD")

    def copy_tree(self, source: Path) -> None:
        """Copy every file of ``source`` into the work tree (not yet committed)."""
        for path in sorted(source.rglob("*")):
            if path.is_file():
                target = self.work / path.relative_to(source)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(path.read_bytes())
