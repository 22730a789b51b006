"""A real bare remote plus a working clone that commits and (force-)pushes, for git tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.support.gitrepo import git

run_git = git
"""Run git in a directory (the shared helper of tests/support)."""


@dataclass
class Remote:
    bare: Path
    work: Path

    @property
    def url(self) -> str:
        return str(self.bare)

    def commit(self, files: dict[str, str | None], message: str = "change") -> str:
        """Write (or delete, for None) files, commit, push; return the new sha."""
        for rel, text in files.items():
            path = self.work / rel
            if text is None:
                path.unlink()
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        run_git(self.work, "add", "-A")
        run_git(self.work, "commit", "-q", "--allow-empty", "-m", message)
        run_git(self.work, "push", "-q", "-f", "origin", "HEAD:main")
        return run_git(self.work, "rev-parse", "HEAD")

    def git(self, *args: str) -> str:
        return run_git(self.work, *args)


def make_remote(root: Path) -> Remote:
    """A bare repo on branch main and an empty working clone pushing to it."""
    bare, work = root / "remote.git", root / "work"
    bare.mkdir(parents=True)
    run_git(bare, "init", "--bare", "-q", "-b", "main")
    run_git(root, "init", "-q", "-b", "main", str(work))
    run_git(work, "remote", "add", "origin", str(bare))
    return Remote(bare=bare, work=work)
