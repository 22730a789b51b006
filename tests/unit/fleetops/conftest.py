"""Fixtures for the fleet-ops tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from fleetops_repos import Checkout, make_checkout


@pytest.fixture
def checkout(tmp_path: Path) -> Checkout:
    return make_checkout(tmp_path / "repo")
