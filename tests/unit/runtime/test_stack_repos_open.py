"""Opening the repositories stacks take their files from: real local git repositories, no Docker.

One fetch per distinct (URL, branch) however many stacks use it, pinned commits read from the cache
without a fetch, heads seen by a poll reused, every problem a located resource error.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from fleetflow.errors import ResourceErrors
from fleetflow.git import RepoCache
from fleetflow.resources import EnvSecrets, MemorySource, interpolate, load_resources, validate
from fleetflow.resources.interpolate import Desired
from fleetflow.runtime.snapshot import RepoSnapshot
from fleetflow.runtime.specs import deploy_spec
from fleetflow.runtime.stack_repos import credentials_for, open_stack_repos, source_heads, sources_of
from tests.support.gitrepo import GitRemote

pytestmark = pytest.mark.unit

COMPOSE = "services:\n  app:\n    image: fleetflow/busybox:latest\n"


def _desired(stacks: str, secrets: dict[str, str] | None = None) -> Desired:
    files = {"servers.toml": '[[server]]\nname = "h"\n', "stacks.toml": stacks, "here/compose.yaml": COMPOSE}
    resolver = EnvSecrets(secrets or {}, prefix="")
    loaded = validate(load_resources(MemorySource(files), [""]), secrets=resolver)
    loaded.raise_for_errors()
    return interpolate(loaded, resolver)


def _stack(name: str, body: str) -> str:
    return f'[[stack]]\nname = "{name}"\n[stack.config]\nserver = "h"\n{body}\n'


@pytest.fixture
def apps(tmp_path: Path) -> GitRemote:
    remote = GitRemote.create(tmp_path / "apps")
    remote.commit("v1", {"a/compose.yaml": COMPOSE, "a/conf.txt": "v1\n", "b/compose.yaml": COMPOSE})
    return remote


def _synced() -> RepoSnapshot:
    return RepoSnapshot(repo="synced", commit="c0", source=MemorySource({"here/compose.yaml": COMPOSE}))


def test_one_fetch_per_repository_and_each_stack_reads_its_own(apps: GitRemote, tmp_path: Path) -> None:
    repo_entry = f'[[repo]]\nname = "apps"\n[repo.config]\nrepo = "{apps.url}"\n'
    desired = _desired(
        repo_entry
        + _stack("a", f'repo = "{apps.url}"\nrun_directory = "a"')
        + _stack("b", 'linked_repo = "apps"\nrun_directory = "b"')
        + _stack("here", 'run_directory = "here"')
    )
    cache = RepoCache(tmp_path / "cache")
    snapshot = open_stack_repos(desired, _synced(), cache, None)
    assert sum(cache.fetches.values()) == 1
    head = apps.commit("v2", {"a/conf.txt": "v2\n"})
    assert snapshot.for_stack("here") is snapshot
    spec = deploy_spec("a", desired, snapshot)
    assert spec.files["a/conf.txt"] == b"v1\n", "the commit opened, not a later head"
    assert spec.commit == snapshot.for_stack("b").commit != head
    assert set(source_heads(snapshot, desired)) == {f"{apps.url}#main"}

    again = open_stack_repos(desired, _synced(), cache, None, heads={f"{apps.url}#main": spec.commit})
    assert sum(cache.fetches.values()) == 1, "a head already seen is read from the cache"
    assert again.for_stack("a").commit == spec.commit
    newest = open_stack_repos(desired, _synced(), cache, None)
    assert sum(cache.fetches.values()) == 2
    assert deploy_spec("a", desired, newest).files["a/conf.txt"] == b"v2\n"


def test_a_pinned_commit_is_read_without_a_fetch_once_cached(apps: GitRemote, tmp_path: Path) -> None:
    pin = apps.commit("v2", {"a/conf.txt": "v2\n"})
    apps.commit("v3", {"a/conf.txt": "v3\n"})
    desired = _desired(_stack("a", f'repo = "{apps.url}"\ncommit = "{pin[:9]}"\nrun_directory = "a"'))
    cache = RepoCache(tmp_path / "cache")
    first = open_stack_repos(desired, _synced(), cache, None)
    assert first.for_stack("a").commit == pin
    assert deploy_spec("a", desired, first).files["a/conf.txt"] == b"v2\n"
    open_stack_repos(desired, _synced(), cache, None)
    assert sum(cache.fetches.values()) == 1
    assert source_heads(first, desired) == {}, "pinned repositories are not followed"


def test_problems_are_located_and_listed_together(apps: GitRemote, tmp_path: Path) -> None:
    stacks = (
        _stack("gone", f'repo = "{tmp_path / "missing.git"}"')
        + _stack("nodir", f'repo = "{apps.url}"\nrun_directory = "nope"')
        + _stack("out", f'repo = "{apps.url}"\nrun_directory = "../a"')
        + _stack("pin", f'repo = "{apps.url}"\ncommit = "deadbeefdeadbeef"\nrun_directory = "a"')
        + _stack("nofile", f'repo = "{apps.url}"\nrun_directory = "a"\nfile_paths = ["other.yaml"]')
    )
    with pytest.raises(ResourceErrors) as raised:
        open_stack_repos(_desired(stacks), _synced(), RepoCache(tmp_path / "cache"), None)
    text = "\n".join(str(e) for e in raised.value.errors)
    assert len(raised.value.errors) == 5, text
    assert "stacks.toml:5 [config.repo]" in text
    assert "cannot be fetched" in text
    assert "[config.run_directory]" in text
    assert "'nope' of stack 'nodir' does not exist in repository" in text
    assert "'../a' of stack 'out' leaves repository" in text
    assert "[config.commit]" in text
    assert "deadbeefdeadbeef is not on branch 'main'" in text
    assert "[config.file_paths]" in text
    assert "other.yaml" in text


def test_the_account_token_comes_from_outside_git(apps: GitRemote, tmp_path: Path) -> None:
    body = f'repo = "{apps.url}"\ngit_provider = "git.lan"\ngit_account = "bot"\nrun_directory = "a"'
    desired = _desired(_stack("a", body))
    with pytest.raises(ResourceErrors) as raised:
        open_stack_repos(desired, _synced(), RepoCache(tmp_path / "cache"), EnvSecrets({}, prefix=""))
    (error,) = raised.value.errors
    assert "[config.git_account]" in str(error)
    assert "GIT_GIT_LAN_BOT" in str(error)
    secrets = EnvSecrets({"GIT_GIT_LAN_BOT": "s3cr3t-token"}, prefix="")
    creds = credentials_for(sources_of(desired)["a"], secrets)
    assert creds is not None
    assert creds.token == SecretStr("s3cr3t-token")
    assert creds.username == "bot"
    cache = RepoCache(tmp_path / "cache")
    open_stack_repos(desired, _synced(), cache, secrets)
    for path in (tmp_path / "cache").rglob("*"):
        if path.is_file():
            assert b"s3cr3t-token" not in path.read_bytes(), path
