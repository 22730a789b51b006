"""Fixtures shared with the orchestration tests: an isolated fleetflow home and a git remote."""

from tests.orchestration.conftest import ff_home, remote  # noqa: F401 (fixtures for the sync and flow tests)
