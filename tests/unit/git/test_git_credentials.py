"""Credentials stay out of URLs, remotes, messages; they reach git only through the environment."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from git_remote_helper import Remote
from pydantic import SecretStr

from fleetflow.errors import ConfigError, GitError
from fleetflow.git import GitCredentials, RepoCache, mask, redact_url
from fleetflow.git.credentials import split_credentials

TOKEN = "ghp_s3cr3tT0ken"


def test_token_goes_into_env_header_only() -> None:
    env = GitCredentials(token=SecretStr(TOKEN)).env()
    assert env["GIT_CONFIG_KEY_0"] == "http.extraHeader"
    expected = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
    assert env["GIT_CONFIG_VALUE_0"] == f"Authorization: Basic {expected}"
    assert env["GIT_TERMINAL_PROMPT"] == "0"
    assert TOKEN not in repr(GitCredentials(token=SecretStr(TOKEN)))


def test_ssh_key_file_goes_into_git_ssh_command(tmp_path: Path) -> None:
    key = tmp_path / "deploy key"
    key.write_text("k")
    env = GitCredentials(ssh_key_file=key).env()
    assert env["GIT_SSH_COMMAND"].startswith(f"ssh -i '{key}' -o IdentitiesOnly=yes")
    with pytest.raises(ConfigError, match="does not exist"):
        GitCredentials(ssh_key_file=tmp_path / "absent").env()


def test_from_env_names_variable_not_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FF_TEST_TOKEN", TOKEN)
    assert GitCredentials.from_env("FF_TEST_TOKEN").secrets()[0] == TOKEN
    monkeypatch.delenv("FF_TEST_TOKEN")
    with pytest.raises(ConfigError, match="FF_TEST_TOKEN"):
        GitCredentials.from_env("FF_TEST_TOKEN")


def test_split_and_redact_urls() -> None:
    clean, creds = split_credentials(f"https://bot:{TOKEN}@git.example.invalid:8443/org/repo.git")
    assert clean == "https://git.example.invalid:8443/org/repo.git"
    assert creds is not None
    assert creds.secrets()[0] == TOKEN
    assert creds.username == "bot"
    assert split_credentials("/srv/repo.git") == ("/srv/repo.git", None)
    assert redact_url(f"fatal: https://bot:{TOKEN}@h/r") == "fatal: https://***@h/r"


def test_mask_scrubs_raw_and_basic_auth_forms() -> None:
    creds = GitCredentials(token=SecretStr(TOKEN))
    basic = creds.secrets()[1]
    assert mask(f"token {TOKEN} header {basic}", creds) == "token *** header ***"


def test_embedded_token_never_reaches_config_or_errors(remote: Remote, tmp_path: Path) -> None:
    url = f"https://bot:{TOKEN}@127.0.0.1:9/repo.git"
    cache = RepoCache(tmp_path / "c")
    with pytest.raises(GitError) as info:
        cache.ensure(url, "main")
    assert TOKEN not in str(info.value)
    config = (cache.path_for(url, "main") / "config").read_text()
    assert "https://127.0.0.1:9/repo.git" in config
    assert TOKEN not in config
    assert TOKEN not in str(cache.path_for(url, "main"))
