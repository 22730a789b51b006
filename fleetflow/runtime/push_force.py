"""Which stacks a verified push deploys even when unchanged: Komodo's ``webhook_force_deploy``.

On its own webhook Komodo deploys a stack only if it changed (``DeployStackIfChanged``);
with ``webhook_force_deploy = true`` it deploys it without diffing (``DeployStack``).
fleetflow serves one push webhook per resource sync, so a verified push of the synced
repository force-deploys every stack that sets ``webhook_force_deploy = true`` and takes
its files from that repository (a stack-level ``repo``, or a ``linked_repo`` naming a
``[[repo]]`` no sync reads, is another repository's: that push is not its push), unless the
stack writes ``webhook_enabled = false``. A scheduled poll forces nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fleetflow.resources import Desired, Stack

REASON = "webhook_force_deploy"
"""The reason a forced stack's deploy and the sync's outcome show."""


def _from_synced_repo(stack: Stack, desired: Desired) -> bool:
    cfg = stack.config
    if cfg.repo:
        return False
    if not cfg.linked_repo or cfg.linked_repo not in desired.resources.repos:
        return True
    return cfg.linked_repo in {s.config.linked_repo for s in desired.resources.syncs.values()}


def _webhook_enabled(stack: Stack) -> bool:
    """Komodo's stack webhooks are on unless ``webhook_enabled = false`` is written out
    (fleetflow's own default of the field is false: stacks have no endpoint of their own)."""
    cfg = stack.config
    return "webhook_enabled" not in cfg.model_fields_set or cfg.webhook_enabled


def webhook_forced(desired: Desired, names: Iterable[str]) -> list[str]:
    """The stacks among ``names`` a verified push of the synced repository deploys unchanged."""
    forced = []
    for name in names:
        stack = desired.stacks[name]
        wanted = stack.config.webhook_force_deploy and _webhook_enabled(stack)
        if wanted and _from_synced_repo(stack, desired):
            forced.append(name)
    return sorted(forced)


def any_forced(configs: Sequence[Mapping[str, Any]]) -> bool:
    """Whether an applied stack (its stored config) sets ``webhook_force_deploy``: a push that
    moved nothing still syncs then, to deploy it."""
    return any((c.get("config") or {}).get("webhook_force_deploy") for c in configs)
