"""Komodo stack fields fleetflow refuses at load rather than silently ignore.

Each refusal names the field and what to do instead; a field leaves this list
when fleetflow carries it out.
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
    if cfg.webhook_force_deploy:
        out.append(
            Refusal(
                "config.webhook_force_deploy",
                f"stack {name!r} sets webhook_force_deploy, but fleetflow serves no per-stack webhook: "
                "pushes go to the resource sync's webhook, which deploys the stacks whose inputs changed",
                "remove webhook_force_deploy; to redeploy an unchanged stack use the API or CLI with force",
            )
        )
    if cfg.repo:
        out.append(
            Refusal(
                "config.repo",
                f"stack {name!r} takes its files from another repository ({cfg.repo}), "
                "which fleetflow does not support yet",
                "move the stack's files into the synced repository and leave repo empty",
            )
        )
    elif cfg.linked_repo in known_repos and cfg.linked_repo not in sync_repos:
        out.append(
            Refusal(
                "config.linked_repo",
                f"stack {name!r} takes its files from [[repo]] {cfg.linked_repo!r}, not from the synced "
                "repository; fleetflow does not support files from another repository yet",
                "move the stack's files into the synced repository, or link the synced repository",
            )
        )
    return out
