"""A resource sync read from the state DB is fetched where Komodo would clone it (pure, embedded store)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fleetflow.api.sources import sync_source
from fleetflow.errors import ConfigError
from fleetflow.store import StateStore, open_store

pytestmark = pytest.mark.unit


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    with open_store(None, embedded_path=tmp_path / "state") as s:
        yield s


def test_owner_and_name_at_the_git_provider(store: StateStore) -> None:
    config = {"repo": "me/homelab", "git_provider": "git.lan:3000", "git_https": False, "branch": "prod"}
    store.put_resource("resource_sync", "s", {"config": config}, "c1", None)
    source = sync_source(store, "s")
    assert (source.repo, source.branch) == ("http://git.lan:3000/me/homelab.git", "prod")


def test_a_linked_repo_gives_url_and_branch(store: StateStore) -> None:
    store.put_resource("repo", "r", {"config": {"repo": "me/stacks", "branch": "main"}}, "c1", None)
    store.put_resource("resource_sync", "s", {"config": {"linked_repo": "r"}}, "c1", None)
    assert sync_source(store, "s").repo == "https://github.com/me/stacks.git"


def test_a_url_or_a_local_path_is_used_as_it_is(store: StateStore, tmp_path: Path) -> None:
    local = tmp_path / "checkout"
    local.mkdir()
    for repo in ("https://git.example.invalid/a/b.git", str(local)):
        store.put_resource("resource_sync", "s", {"config": {"repo": repo}}, "c1", None)
        assert sync_source(store, "s").repo == repo


def test_an_unusable_repo_is_a_clear_error(store: StateStore) -> None:
    store.put_resource("resource_sync", "s", {"config": {"repo": "not a repo"}}, "c1", None)
    with pytest.raises(ConfigError, match="resource sync 's'"):
        sync_source(store, "s")
