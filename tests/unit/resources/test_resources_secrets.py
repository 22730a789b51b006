"""Secret resolvers and masking: values resolve from outside git and never show."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleetflow.errors import ConfigError, ResourceErrors
from fleetflow.resources import (
    ChainSecrets,
    EnvSecrets,
    FileSecrets,
    MemorySource,
    PrefectSecrets,
    interpolate,
    load_resources,
    plan,
    render_rows,
    render_text,
)

REPO = {
    "r.toml": """
[[server]]
name = "local"
[[variable]]
name = "USER"
value = "admin"
[[stack]]
name = "app"
[stack.config]
server = "local"
environment = "PASS=[[DB_PASSWORD]]\\nUSER=[[USER]]\\nBOTH=[[USER]]:[[DB_PASSWORD]]"
pre_deploy.command = "login [[DB_PASSWORD]]"
extra_args = ["--label=[[USER]]"]
"""
}


def test_env_file_and_chain_resolvers(tmp_path: Path) -> None:
    secrets_file = tmp_path / "secrets.toml"
    secrets_file.write_text('A = "from-file"\nB = "file-b"\n')
    chain = ChainSecrets(EnvSecrets({"FLEETFLOW_SECRET_B": "env-b"}), FileSecrets(secrets_file))
    assert (chain.get("A"), chain.get("B"), chain.get("C")) == ("from-file", "env-b", None)


def test_bad_secrets_file_names_the_file_never_the_content(tmp_path: Path) -> None:
    bad = tmp_path / "s.toml"
    bad.write_text('A = "hunter2-very-secret\n')
    with pytest.raises(ConfigError) as info:
        FileSecrets(bad).get("A")
    assert str(bad) in str(info.value)
    assert "hunter2" not in str(info.value)
    with pytest.raises(ConfigError, match="not found"):
        FileSecrets(tmp_path / "missing.toml").get("A")


def test_prefect_secrets_are_looked_up_lazily_once_by_block_name() -> None:
    calls: list[str] = []

    def loader(block: str) -> str | None:
        calls.append(block)
        return "blk" if block == "db-password" else None

    resolver = PrefectSecrets(loader)
    assert calls == []
    assert resolver.get("DB_PASSWORD") == "blk"
    assert resolver.get("DB_PASSWORD") == "blk"
    assert resolver.get("OTHER") is None
    assert calls == ["db-password", "other"]


def test_interpolation_substitutes_and_masks_secret_values() -> None:
    loaded = load_resources(MemorySource(REPO))
    desired = interpolate(loaded, EnvSecrets({"FLEETFLOW_SECRET_DB_PASSWORD": "s3cr3t-value"}))
    stack = desired.stacks["app"]
    assert stack.config.environment == {"PASS": "s3cr3t-value", "USER": "admin", "BOTH": "admin:s3cr3t-value"}
    assert stack.config.pre_deploy.command == "login s3cr3t-value"
    assert stack.config.extra_args == ["--label=admin"]
    assert desired.uses["app"] == frozenset({"DB_PASSWORD", "USER"})
    assert desired.secret_names == frozenset({"DB_PASSWORD"})
    shown = str(desired.rendered_stack("app"))
    assert "s3cr3t-value" not in shown
    assert "admin:***" in shown
    assert set(desired.value_digests("app")) == {"DB_PASSWORD", "USER"}
    assert "s3cr3t-value" not in str(desired.value_digests("app"))
    # the raw resources (what is planned and stored) still hold the reference, not the value
    assert desired.resources.stacks["app"].config.environment["PASS"] == "[[DB_PASSWORD]]"


def test_a_committed_secret_literal_is_masked_in_plans_too() -> None:
    files = dict(REPO)
    files["r.toml"] += (
        '[[stack]]\nname = "leak"\n[stack.config]\nserver = "local"\nenvironment = "X=s3cr3t-value"\n'
    )
    desired = interpolate(
        load_resources(MemorySource(files)), EnvSecrets({"FLEETFLOW_SECRET_DB_PASSWORD": "s3cr3t-value"})
    )
    current = {"stack": {"leak": {"config": {"server": "local", "environment": {"X": "old"}}}}}
    result = plan(desired, current)
    assert "s3cr3t-value" not in render_text(result) + str(render_rows(result)) + repr(result)
    assert "X: old -> ***" in render_text(result)


def test_unknown_reference_without_secret_is_an_error_with_location() -> None:
    with pytest.raises(ResourceErrors) as info:
        interpolate(load_resources(MemorySource(REPO)))
    assert [(e.location.file, e.location.line, e.location.field) for e in info.value.errors] == [
        ("r.toml", 11, "config.environment.PASS")
    ]
