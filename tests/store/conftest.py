"""The store suite runs twice: on FerretDB (real wire protocol) and on the embedded montydb."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from fleetflow.store import StateStore, open_store

SESSION = uuid.uuid4().hex[:8]
_counter = itertools.count()

StoreFactory = Callable[[], StateStore]


@pytest.fixture(params=["ferretdb", "embedded"])
def backend_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store_factory(
    backend_name: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[StoreFactory]:
    """Opens stores on one fresh database (several stores = several processes); drops it after."""
    opened: list[StateStore] = []
    database = f"fftest_store_{SESSION}_{next(_counter)}"
    url = request.getfixturevalue("mongodb_url") if backend_name == "ferretdb" else None

    def factory() -> StateStore:
        store = open_store(url, embedded_path=tmp_path / "state", database=database, timeout_s=5)
        opened.append(store)
        return store

    yield factory
    if opened:
        opened[0].drop_everything()
    for store in opened:
        store.close()


@pytest.fixture
def store(store_factory: StoreFactory) -> StateStore:
    return store_factory()
