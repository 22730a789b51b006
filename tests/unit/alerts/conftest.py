"""An embedded state store per test and a receiver for apprise ``json://`` notifications."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fleetflow.store import StateStore, open_store
from tests.support.receiver import Receiver, json_receiver


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    with open_store(None, embedded_path=tmp_path / "state") as s:
        yield s


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with json_receiver() as running:
        yield running
