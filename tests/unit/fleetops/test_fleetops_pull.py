"""Fast-forward-only pulls with real git repos on the local host; stubs only for timing edges."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from fleetops_repos import Checkout, git, make_checkout

from fleetflow.fleetops import PullStatus, PullTarget, pull_all, pull_checkout
from fleetflow.hosts import LocalHost, RunResult


@pytest.fixture
def host(tmp_path: Path) -> LocalHost:
    return LocalHost("local", stacks_root=tmp_path / "stacks")


async def test_behind_checkout_is_fast_forwarded(host: LocalHost, checkout: Checkout) -> None:
    before = checkout.head()
    after = checkout.push("new.txt")
    result = await pull_checkout(PullTarget(host, str(checkout.host)))
    assert (result.status, result.from_commit, result.to_commit) == (PullStatus.UPDATED, before, after)
    assert result.ok
    assert result.detail == f"{before[:12]}..{after[:12]}"
    assert checkout.head() == after
    assert (checkout.host / "new.txt").read_text() == "x"


async def test_current_checkout_is_up_to_date(host: LocalHost, checkout: Checkout) -> None:
    result = await pull_checkout(PullTarget(host, str(checkout.host), branch="main"))
    assert result.status is PullStatus.UP_TO_DATE
    assert result.from_commit == result.to_commit == checkout.head()


async def test_diverged_checkout_is_refused_and_left_alone(host: LocalHost, checkout: Checkout) -> None:
    checkout.push("remote.txt")
    local = checkout.commit_on_host()
    result = await pull_checkout(PullTarget(host, str(checkout.host)))
    assert result.status is PullStatus.DIVERGED
    assert not result.ok
    assert "1 local commit(s)" in result.detail
    assert "1 remote commit(s)" in result.detail
    assert "refused" in result.detail
    assert checkout.head() == local
    assert git(checkout.host, "rev-list", "--count", "HEAD") == "2"  # no merge commit


async def test_checkout_ahead_of_its_remote_is_refused(host: LocalHost, checkout: Checkout) -> None:
    local = checkout.commit_on_host()
    result = await pull_checkout(PullTarget(host, str(checkout.host)))
    assert result.status is PullStatus.DIVERGED
    assert result.detail.startswith("1 local commit(s) not on origin/main;")
    assert checkout.head() == local


async def test_not_a_repository_fails_with_git_stderr(host: LocalHost, tmp_path: Path) -> None:
    result = await pull_checkout(PullTarget(host, str(tmp_path / "missing")))
    assert result.status is PullStatus.FAILED
    assert result.detail.startswith("`rev-parse --verify HEAD^{commit}` exited 128")
    assert "missing" in result.detail


async def test_detached_head_without_branch_fails(host: LocalHost, checkout: Checkout) -> None:
    git(checkout.host, "checkout", "-q", "--detach")
    result = await pull_checkout(PullTarget(host, str(checkout.host)))
    assert result.status is PullStatus.FAILED
    assert "detached" in result.detail
    assert result.from_commit == checkout.head()


async def test_other_branch_checked_out_fails(host: LocalHost, checkout: Checkout) -> None:
    git(checkout.host, "checkout", "-q", "-b", "feature")
    result = await pull_checkout(PullTarget(host, str(checkout.host), branch="main"))
    assert result.status is PullStatus.FAILED
    assert result.detail == "checkout is on feature, not main; switch it on the host"


async def test_unreachable_remote_fails_without_touching_head(host: LocalHost, checkout: Checkout) -> None:
    before = checkout.head()
    git(checkout.host, "remote", "set-url", "origin", str(checkout.remote) + "-gone")
    result = await pull_checkout(PullTarget(host, str(checkout.host)))
    assert result.status is PullStatus.FAILED
    assert result.detail.startswith("`fetch")
    assert checkout.head() == before


async def test_pull_all_keeps_each_hosts_result(host: LocalHost, tmp_path: Path) -> None:
    behind, diverged = make_checkout(tmp_path / "a"), make_checkout(tmp_path / "b")
    new = behind.push()
    diverged.push()
    diverged.commit_on_host()
    targets = [
        PullTarget(host, str(behind.host)),
        PullTarget(host, str(tmp_path / "nothing")),
        PullTarget(host, str(diverged.host)),
    ]
    results = await pull_all(targets, timeout=30)
    assert [r.status for r in results] == [PullStatus.UPDATED, PullStatus.FAILED, PullStatus.DIVERGED]
    assert [r.path for r in results] == [t.path for t in targets]
    assert results[0].to_commit == new == behind.head()


class StubHost:
    """Answers ``git`` like a checkout that is up to date, after ``delay`` seconds per command."""

    def __init__(self, name: str, delay: float, tracker: list[int]) -> None:
        self.name = name
        self.delay = delay
        self.tracker = tracker  # [in flight, max in flight]

    async def run(
        self, argv: Sequence[str], *, env: Mapping[str, str] | None = None, timeout: float, **_: object
    ) -> RunResult:
        self.tracker[0] += 1
        self.tracker[1] = max(self.tracker)
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.tracker[0] -= 1
        out = "main" if "symbolic-ref" in argv else "a" * 40
        return RunResult(tuple(argv), 0, out, "", self.delay)


async def test_slow_host_times_out_alone() -> None:
    tracker = [0, 0]
    slow, fast = StubHost("slow", 5, tracker), StubHost("fast", 0, tracker)
    results = await pull_all([PullTarget(slow, "/r"), PullTarget(fast, "/r")], timeout=0.2)  # type: ignore[arg-type]
    assert results[0].status is PullStatus.FAILED
    assert results[0].detail.startswith("timed out after 0.2 s")
    assert results[1].status is PullStatus.UP_TO_DATE
    assert results[1].server == "fast"


async def test_concurrency_is_bounded() -> None:
    tracker = [0, 0]
    targets = [PullTarget(StubHost(f"h{i}", 0.01, tracker), "/r") for i in range(6)]  # type: ignore[arg-type]
    results = await pull_all(targets, max_concurrency=2)
    assert all(r.status is PullStatus.UP_TO_DATE for r in results)
    assert tracker[1] == 2
    with pytest.raises(ValueError, match="max_concurrency"):
        await pull_all(targets, max_concurrency=0)
