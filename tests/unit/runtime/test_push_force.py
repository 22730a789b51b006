"""webhook_force_deploy: which stacks a verified push deploys unchanged (pure)."""

from __future__ import annotations

import pytest

from fleetflow.resources import MemorySource, NoSecrets, interpolate, load_resources, validate
from fleetflow.runtime.push_force import REASON, any_forced, webhook_forced

pytestmark = pytest.mark.unit

COMPOSE = "services: {a: {image: x}}\n"
HEAD = """[[server]]
name = "h"
[[resource_sync]]
name = "infra"
[resource_sync.config]
linked_repo = "infra"
[[repo]]
name = "infra"
[repo.config]
repo = "me/infra"
[[repo]]
name = "apps"
[repo.config]
repo = "me/apps"
"""


def _stack(name: str, extra: str) -> str:
    return f'[[stack]]\nname = "{name}"\n[stack.config]\nserver = "h"\nrun_directory = "s"\n{extra}\n'


def _forced(stacks: str) -> list[str]:
    source = MemorySource({"resources.toml": HEAD + stacks, "s/compose.yaml": COMPOSE})
    loaded = validate(load_resources(source))
    # load refuses another repository's files today (branch i19repo carries them out): interpolate anyway
    desired = interpolate(loaded, NoSecrets())
    return webhook_forced(desired, desired.stacks)


def test_only_stacks_that_set_it_are_forced() -> None:
    stacks = _stack("plain", "") + _stack("forced", "webhook_force_deploy = true")
    stacks += _stack("off", "webhook_force_deploy = false")
    assert _forced(stacks) == ["forced"]


def test_webhook_enabled_false_written_out_turns_it_off_true_keeps_it() -> None:
    stacks = _stack("disabled", "webhook_force_deploy = true\nwebhook_enabled = false")
    stacks += _stack("enabled", "webhook_force_deploy = true\nwebhook_enabled = true")
    assert _forced(stacks) == ["enabled"]


def test_only_stacks_of_the_pushed_repository() -> None:
    stacks = _stack("synced-link", 'webhook_force_deploy = true\nlinked_repo = "infra"')
    stacks += _stack("other-link", 'webhook_force_deploy = true\nlinked_repo = "apps"')
    stacks += _stack("own-repo", 'webhook_force_deploy = true\nrepo = "me/elsewhere"')
    assert _forced(stacks) == ["synced-link"]


def test_a_push_that_moved_nothing_still_syncs_when_an_applied_stack_is_forced() -> None:
    assert any_forced([{"config": {"webhook_force_deploy": True}}, {"config": {}}])
    assert not any_forced([{"config": {"webhook_force_deploy": False}}, {}])
    assert REASON == "webhook_force_deploy"
