"""``fleetflow token`` sub-app: create prints the token once, list hides it, revoke removes it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fleetflow.api import TokenVerifier
from fleetflow.cli.token import token_app
from fleetflow.runtime import context


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("FLEETFLOW_HOME", str(tmp_path))
    monkeypatch.delenv("FLEETFLOW_STORE_URL", raising=False)
    context.reset()
    yield tmp_path
    context.store().close()
    context.reset()


def test_create_list_revoke(home: Path) -> None:
    runner = CliRunner()
    created = runner.invoke(token_app, ["create", "--name", "ci", "--role", "operator", "--ttl-days", "30"])
    assert created.exit_code == 0, created.output
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("ff_ci_")
    assert TokenVerifier(context.store()).verify(token) is not None
    listed = runner.invoke(token_app, ["list"])
    assert "operator" in listed.stdout
    assert token.split("_")[2] not in listed.stdout
    assert runner.invoke(token_app, ["revoke", "ci"]).exit_code == 0
    assert TokenVerifier(context.store()).verify(token) is None
    missing = runner.invoke(token_app, ["revoke", "ci"])
    assert missing.exit_code == 1
    bad = runner.invoke(token_app, ["create", "--name", "Bad_Name"])
    assert bad.exit_code == 1
