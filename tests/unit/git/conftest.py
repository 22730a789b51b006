"""Fixtures for the git adapter tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from git_remote_helper import Remote, make_remote


@pytest.fixture
def remote(tmp_path: Path) -> Remote:
    return make_remote(tmp_path)
