"""Giving memory back to the OS never fails, whatever the C library."""

from __future__ import annotations

import pytest

from fleetflow.runtime import memory

pytestmark = pytest.mark.unit


def test_release_and_arena_limit_answer_a_bool() -> None:
    assert isinstance(memory.limit_arenas(), bool)
    assert isinstance(memory.release(), bool)
