"""An isolated fleetflow home and a real git remote for orchestration tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fleetflow.runtime import context
from tests.support.fleet import compose, container_ids, fleet_files, remove_projects
from tests.support.gitrepo import GitRemote

__all__ = ["compose", "container_ids", "ff_home", "fleet_files", "remote", "remove_projects"]


@pytest.fixture
def ff_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """FLEETFLOW_HOME in tmp (embedded store, repo cache, stack dirs), handles reset around the test."""
    home = tmp_path / "ff"
    monkeypatch.setenv("FLEETFLOW_HOME", str(home))
    monkeypatch.setenv("FLEETFLOW_DEPLOY_TIMEOUT_SECONDS", "60")
    context.reset()
    yield home
    context.reset()


@pytest.fixture
def remote(tmp_path: Path) -> GitRemote:
    return GitRemote.create(tmp_path / "git")
