"""Which repository a stack's files come from, in Komodo's order (pure)."""

from __future__ import annotations

import pytest

from fleetflow.resources import RepoConfig, StackConfig
from fleetflow.resources.stack_source import source_of

pytestmark = pytest.mark.unit

REPOS = {
    "apps": RepoConfig(
        repo="ops/apps", git_provider="git.lan", branch="prod", commit="abc1234", git_account="bot"
    ),
    "infra": RepoConfig(repo="me/infra"),
}


def _cfg(**fields: object) -> StackConfig:
    return StackConfig.model_validate({"server": "h", **fields})


def test_a_stack_level_repo() -> None:
    found = source_of(
        _cfg(repo="me/stacks", branch="dev", commit="", git_provider="gitea.lan", git_https=False),
        REPOS,
        {"infra"},
    )
    assert found is not None
    assert found.url == "http://gitea.lan/me/stacks.git"
    assert (found.branch, found.commit, found.field, found.linked) == ("dev", "", "config.repo", "")
    assert found.key == "http://gitea.lan/me/stacks.git#dev"


def test_linked_repo_takes_every_git_field_of_the_repo_entry() -> None:
    found = source_of(_cfg(linked_repo="apps", repo="ignored/x", branch="ignored"), REPOS, {"infra"})
    assert found is not None
    assert found.url == "https://git.lan/ops/apps.git"
    assert (found.branch, found.commit, found.account) == ("prod", "abc1234", "bot")
    assert (found.field, found.linked) == ("config.linked_repo", "apps")


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"linked_repo": "infra"},  # the repository a resource sync reads: the synced one
        {"linked_repo": "unknown"},  # a load error elsewhere
        {"repo": "me/stacks", "files_on_host": True, "run_directory": "/srv/app"},
        {"repo": "me/stacks", "file_contents": "services: {}"},
        {"repo": "   "},
    ],
)
def test_stacks_without_another_repository(fields: dict[str, object]) -> None:
    assert source_of(_cfg(**fields), REPOS, {"infra"}) is None


def test_a_repo_that_cannot_become_a_url_carries_the_problem() -> None:
    found = source_of(_cfg(repo="owner/../x"), REPOS, set())
    assert found is not None
    assert found.url == ""
    assert "owner/name" in found.problem
