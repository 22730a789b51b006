"""Fast-forward-only pull of a git checkout on many hosts at once, one result per host.

Each host runs plain ``git`` through its :class:`~fleetflow.hosts.base.HostConnection`:
fetch the branch, then move HEAD only when that is a fast-forward. A checkout that has
commits of its own is reported as diverged and left alone: this never merges, rebases or
resets. One host's failure or timeout never touches another host's result.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from fleetflow.errors import CommandFailed, FleetflowError
from fleetflow.hosts.base import HostConnection

GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", "GIT_SSH_COMMAND": "ssh -o BatchMode=yes"}


class PullStatus(StrEnum):
    """How a host's pull ended."""

    UPDATED = "updated"
    UP_TO_DATE = "up_to_date"
    DIVERGED = "diverged"
    FAILED = "failed"


@dataclass(frozen=True)
class PullTarget:
    """A checkout on a host: ``path`` tracks ``remote``/``branch`` (default: its current branch)."""

    host: HostConnection
    path: str
    remote: str = "origin"
    branch: str | None = None


class PullResult(BaseModel):
    """One host's outcome; ``from_commit``/``to_commit`` are full SHAs when known."""

    model_config = ConfigDict(frozen=True)

    server: str
    path: str
    status: PullStatus
    from_commit: str = ""
    to_commit: str = ""
    detail: str = ""
    duration_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status in (PullStatus.UPDATED, PullStatus.UP_TO_DATE)


class _Git:
    """``git -C path ...`` on one host, each call bounded by what is left of the deadline."""

    def __init__(self, target: PullTarget, deadline: float) -> None:
        self.target = target
        self.deadline = deadline

    async def __call__(self, *args: str, check: bool = True) -> tuple[int, str]:
        left = max(self.deadline - time.monotonic(), 0.1)
        argv = ["git", "-C", self.target.path, *args]
        result = await self.target.host.run(argv, env=GIT_ENV, timeout=left, check=check)
        return result.exit_status, result.stdout.strip()


async def _pull(target: PullTarget, deadline: float) -> PullResult:
    git = _Git(target, deadline)
    name, path = target.host.name, target.path
    _, head = await git("rev-parse", "--verify", "HEAD^{commit}")
    status, current = await git("symbolic-ref", "--quiet", "--short", "HEAD", check=False)
    branch = target.branch or (current if status == 0 else "")
    if not branch:
        return PullResult(
            server=name, path=path, status=PullStatus.FAILED, from_commit=head,
            detail="HEAD is detached and no branch was given; check out a branch on the host",
        )  # fmt: skip
    if status != 0 or current != branch:
        return PullResult(
            server=name, path=path, status=PullStatus.FAILED, from_commit=head,
            detail=f"checkout is on {current or 'a detached HEAD'}, not {branch}; switch it on the host",
        )  # fmt: skip
    ref = f"refs/remotes/{target.remote}/{branch}"
    await git("fetch", "--quiet", "--no-tags", target.remote, f"+refs/heads/{branch}:{ref}")
    _, upstream = await git("rev-parse", "--verify", f"{ref}^{{commit}}")
    base = PullResult(server=name, path=path, status=PullStatus.UP_TO_DATE, from_commit=head, to_commit=head)
    if upstream == head:
        return base
    behind = (await git("merge-base", "--is-ancestor", "HEAD", upstream, check=False))[0] == 0
    if not behind:
        _, counts = await git("rev-list", "--left-right", "--count", f"HEAD...{upstream}")
        ahead, missing = (int(n) for n in counts.split())
        detail = f"{ahead} local commit(s) not on {target.remote}/{branch}"
        if missing:
            detail += f", {missing} remote commit(s) not local"
        return base.model_copy(
            update={"status": PullStatus.DIVERGED, "detail": f"{detail}; refused (never merges or resets)"}
        )
    await git("merge", "--ff-only", "--quiet", upstream)
    moved = f"{head[:12]}..{upstream[:12]}"
    return base.model_copy(update={"status": PullStatus.UPDATED, "to_commit": upstream, "detail": moved})


async def pull_checkout(target: PullTarget, *, timeout: float = 120.0) -> PullResult:
    """Fast-forward one checkout; every error becomes a FAILED result naming what to check."""
    started = time.monotonic()
    try:
        result = await asyncio.wait_for(_pull(target, started + timeout), timeout)
    except TimeoutError:
        result = _failed(target, f"timed out after {timeout:g} s; check the host and its git remote")
    except CommandFailed as exc:
        result = _failed(target, f"`{' '.join(exc.command[3:])}` exited {exc.exit_status}: {exc.stderr_tail}")
    except FleetflowError as exc:
        result = _failed(target, str(exc))
    except Exception as exc:  # one host's surprise must not sink the fleet's results
        result = _failed(target, f"unexpected {type(exc).__name__}: {exc}")
    return result.model_copy(update={"duration_s": round(time.monotonic() - started, 3)})


def _failed(target: PullTarget, detail: str) -> PullResult:
    return PullResult(server=target.host.name, path=target.path, status=PullStatus.FAILED, detail=detail)


async def pull_all(
    targets: Sequence[PullTarget], *, timeout: float = 120.0, max_concurrency: int = 32
) -> list[PullResult]:
    """Pull every target concurrently (at most ``max_concurrency`` at once), results in input order."""
    if max_concurrency < 1:
        raise ValueError("max_concurrency must be at least 1")
    gate = asyncio.Semaphore(max_concurrency)

    async def one(target: PullTarget) -> PullResult:
        async with gate:
            return await pull_checkout(target, timeout=timeout)

    return list(await asyncio.gather(*(one(t) for t in targets)))
