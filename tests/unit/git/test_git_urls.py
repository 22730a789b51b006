"""Clone URLs built as Komodo builds them, rewrites and the git account's secret name (pure)."""

from __future__ import annotations

import pytest

from fleetflow.git.urls import account_secret_name, clone_url, is_full_location, rewrite_url

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("repo", "provider", "https", "url"),
    [
        ("owner/name", "github.com", True, "https://github.com/owner/name.git"),
        ("owner/name", "github.com", False, "http://github.com/owner/name.git"),
        ("ops/compose", "git.home.lan:3000", True, "https://git.home.lan:3000/ops/compose.git"),
        ("group/sub/name", "gitlab.example", True, "https://gitlab.example/group/sub/name.git"),
        ("owner/name.git", "github.com", True, "https://github.com/owner/name.git"),
        (" owner/name/ ", " github.com/ ", True, "https://github.com/owner/name.git"),
        ("owner/name", "https://gitea.lan", True, "https://gitea.lan/owner/name.git"),
    ],
)
def test_short_names_become_komodo_clone_urls(repo: str, provider: str, https: bool, url: str) -> None:
    assert clone_url(repo, provider, https) == url


@pytest.mark.parametrize(
    "repo",
    [
        "https://git.example/owner/name.git",
        "http://127.0.0.1:8080/x.git",
        "ssh://git@host:2222/owner/name.git",
        "git@github.com:owner/name.git",
        "file:///srv/git/apps.git",
        "/srv/git/apps.git",
        "./apps",
        "../apps.git",
        "~/git/apps",
    ],
)
def test_full_locations_are_taken_as_they_are(repo: str) -> None:
    assert is_full_location(repo)
    assert clone_url(repo, "ignored.example", False) == repo


@pytest.mark.parametrize(
    "repo", ["", "   ", "owner/../name", "owner//name", "a b/c", "--upload-pack=x", "-u@host:owner/name"]
)
def test_unusable_repos_are_refused(repo: str) -> None:
    with pytest.raises(ValueError, match="repo"):
        clone_url(repo)


def test_an_empty_provider_is_refused() -> None:
    with pytest.raises(ValueError, match="git_provider"):
        clone_url("owner/name", "  ")
    with pytest.raises(ValueError, match="git_provider"):
        clone_url("owner/name", "--upload-pack=x")


def test_rewrite_takes_the_longest_matching_prefix() -> None:
    rewrites = {
        "https://github.com/": "file:///mirror/gh/",
        "https://github.com/special/": "file:///special/",
    }
    assert rewrite_url("https://github.com/a/b.git", rewrites) == "file:///mirror/gh/a/b.git"
    assert rewrite_url("https://github.com/special/b.git", rewrites) == "file:///special/b.git"
    assert rewrite_url("https://gitea.lan/a/b.git", rewrites) == "https://gitea.lan/a/b.git"
    assert rewrite_url("https://github.com/a/b.git", {}) == "https://github.com/a/b.git"


def test_account_secret_name() -> None:
    assert account_secret_name("github.com", "me") == "GIT_GITHUB_COM_ME"
    assert account_secret_name("git.home.lan:3000", "ops-bot") == "GIT_GIT_HOME_LAN_3000_OPS_BOT"
