"""Back off after failed deploys (pure): the same stack with the same inputs is retried later and later.

After a failed or rolled-back deploy, redeploying the same inputs on every
poll or health round only repeats the failure. The streak is read from the
deploy history (newest first): consecutive failed / rolled-back deploys of
these inputs. The n-th failure waits ``BASE * 2**(n-1)``, at most ``CAP``
(5 min, 10 min, 20 min ... 6 h). A change of inputs, ``--force`` or a deploy
from the API retries at once; a good deploy ends the streak.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

BASE = timedelta(minutes=5)
CAP = timedelta(hours=6)
FAILED = frozenset({"failed", "rolled_back"})
NEUTRAL = frozenset({"skipped"})


@dataclass(frozen=True)
class Attempt:
    """One recorded deploy: how it ended, which inputs it deployed, when it finished."""

    status: str
    inputs: str
    finished: datetime


@dataclass(frozen=True)
class Backoff:
    """A failure streak of one stack's inputs and when the next attempt is due."""

    failures: int
    inputs: str
    last_failure: datetime
    next_attempt: datetime

    def describe(self, now: datetime) -> str:
        wait = max(self.next_attempt - now, timedelta(0))
        return (
            f"backing off after {self.failures} failed deploy(s) of these inputs: next attempt at "
            f"{self.next_attempt:%Y-%m-%d %H:%M:%S} UTC (in {int(wait.total_seconds() // 60)} min); "
            "push a change, use --force, or deploy from the API to retry now"
        )


def delay(failures: int, base: timedelta = BASE, cap: timedelta = CAP) -> timedelta:
    """How long the ``failures``-th failure in a row waits before the next attempt."""
    if failures <= 0:
        return timedelta(0)
    return min(base * (1 << min(failures - 1, 32)), cap)


def streak(attempts: Iterable[Attempt], inputs: str) -> Backoff | None:
    """The failure streak of ``inputs`` from ``attempts`` (newest first); None when there is none.

    Skipped deploys are neutral; a good deploy or one of other inputs ends the streak.
    """
    failures, last = 0, None
    for attempt in attempts:
        if attempt.status in NEUTRAL:
            continue
        if attempt.status not in FAILED or attempt.inputs != inputs:
            break
        failures += 1
        last = last or attempt.finished
    if not failures or last is None or not inputs:
        return None
    return Backoff(failures=failures, inputs=inputs, last_failure=last, next_attempt=last + delay(failures))


def hold(backoff: Backoff | None, now: datetime, *, force: bool = False) -> str:
    """Why not to deploy now ("" to go ahead): only while a streak of the same inputs is waiting."""
    if backoff is None or force or now >= backoff.next_attempt:
        return ""
    return backoff.describe(now)


def alert_due(attempts_before: Iterable[Attempt], inputs: str) -> bool:
    """Alert on a failure only when it starts a streak (one alert per failure streak)."""
    return streak(attempts_before, inputs) is None
