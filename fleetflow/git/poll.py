"""Poll a branch: one fetch and one cursor read when nothing moved; changed paths when it did.

The cursor (last seen commit per repo and branch) lives in the state store; it
is handed in as two callables so this module depends on no store.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field

from fleetflow.git.cache import RepoCache
from fleetflow.git.credentials import GitCredentials

CursorGet = Callable[[], str | None]
CursorSet = Callable[[str], None]


class PollResult(BaseModel):
    """What one poll found. ``new_commit`` is None when the branch did not move."""

    model_config = ConfigDict(frozen=True)

    new_commit: str | None = Field(description="Head commit, when it differs from the cursor.")
    old: str | None = Field(description="The cursor before this poll (None on the first poll).")
    changed_paths: list[str] | None = Field(
        default=None,
        description="Paths changed old..new; None means compare everything (first poll, history gone).",
    )
    force_pushed: bool = Field(default=False, description="The old commit is not an ancestor of the new.")

    @property
    def changed(self) -> bool:
        """Whether the branch moved."""
        return self.new_commit is not None


def poll(
    cache: RepoCache,
    url: str,
    branch: str,
    cursor_get: CursorGet,
    cursor_set: CursorSet,
    *,
    credentials: GitCredentials | None = None,
    advance: bool = True,
) -> PollResult:
    """Fetch ``branch`` of ``url`` and compare its head with the cursor.

    With ``advance`` (default) the cursor is moved to the new head once the
    result is computed; pass ``advance=False`` to move it yourself after the
    sync that consumes the result succeeds.
    """
    repo = cache.ensure(url, branch, credentials)
    head = repo.head()
    old = cursor_get()
    if old == head:
        return PollResult(new_commit=None, old=old)
    force_pushed = False
    if old is not None and repo.has_commit(old):
        force_pushed = not repo.is_ancestor(old, head)
    elif old is not None:  # a full clone has every published commit: a missing one was rewritten away
        force_pushed = cache.depth is None
    result = PollResult(
        new_commit=head,
        old=old,
        changed_paths=repo.changed_paths(old, head),
        force_pushed=force_pushed,
    )
    if advance:
        cursor_set(head)
    return result
