"""Stack fields fleetflow refuses at load depending on other resources (the plain refusals live in
``komodo.CONFIG_RULES``): a ``linked_repo`` naming a ``[[repo]]`` that is not the synced repository.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import NamedTuple

from fleetflow.resources.stack import StackConfig


class Refusal(NamedTuple):
    field: str
    message: str
    hint: str


def refused_stack_fields(
    name: str, cfg: StackConfig, sync_repos: Collection[str], known_repos: Collection[str]
) -> list[Refusal]:
    """What stack ``name`` sets that fleetflow does not carry out (each one a load error).

    ``known_repos``: every defined repo name (an unknown ``linked_repo`` is reported elsewhere).
    """
    out = []
    if cfg.linked_repo in known_repos and cfg.linked_repo not in sync_repos:
        out.append(
            Refusal(
                "config.linked_repo",
                f"stack {name!r} takes its files from [[repo]] {cfg.linked_repo!r}, not from the synced "
                "repository; fleetflow does not support files from another repository yet",
                "move the stack's files into the synced repository, or link the synced repository",
            )
        )
    return out
