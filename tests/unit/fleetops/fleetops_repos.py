"""Real git repos for pull tests: a bare remote, the host's checkout and a clone that pushes."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@fleetflow.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@fleetflow.invalid",
}


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True, env=ENV)
    return done.stdout.strip()


@dataclass
class Checkout:
    """``host`` is the checkout being pulled; ``upstream`` pushes new commits to the remote."""

    remote: Path
    upstream: Path
    host: Path

    def push(self, name: str = "f.txt", text: str = "x") -> str:
        (self.upstream / name).write_text(text)
        git(self.upstream, "add", "-A")
        git(self.upstream, "commit", "-q", "-m", f"upstream {name}")
        git(self.upstream, "push", "-q", "origin", "HEAD:main")
        return git(self.upstream, "rev-parse", "HEAD")

    def commit_on_host(self, name: str = "local.txt") -> str:
        (self.host / name).write_text("local")
        git(self.host, "add", "-A")
        git(self.host, "commit", "-q", "-m", "local")
        return self.head()

    def head(self) -> str:
        return git(self.host, "rev-parse", "HEAD")


def make_checkout(root: Path) -> Checkout:
    remote, upstream, host = root / "remote.git", root / "upstream", root / "host"
    remote.mkdir(parents=True)
    git(remote, "init", "--bare", "-q", "-b", "main")
    git(root, "clone", "-q", str(remote), str(upstream))
    git(upstream, "checkout", "-q", "-b", "main")
    checkout = Checkout(remote, upstream, host)
    checkout.push("README", "first")
    git(root, "clone", "-q", "-b", "main", str(remote), str(host))
    return checkout
