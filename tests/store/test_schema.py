"""Schema version, migrations, indexes."""

from __future__ import annotations

from typing import Any

import pymongo
import pytest

from fleetflow.errors import SchemaTooNewError, StoreError
from fleetflow.store import SCHEMA_VERSION, BackendKind, StateStore
from fleetflow.store.schema import ensure_schema, schema_version
from tests.store.conftest import StoreFactory

pytestmark = pytest.mark.mongo


def test_fresh_db_is_stamped_and_reopens(store_factory: StoreFactory) -> None:
    first = store_factory()
    assert first.schema_version == SCHEMA_VERSION
    assert store_factory().schema_version == SCHEMA_VERSION


def test_migration_hook_runs_then_older_code_refuses(store_factory: StoreFactory) -> None:
    store = store_factory()
    backend = store._backend
    seen: list[Any] = []
    assert ensure_schema(backend, current=SCHEMA_VERSION + 1, migrations={SCHEMA_VERSION: seen.append}) == 2
    assert seen == [backend.db]
    assert schema_version(backend) == SCHEMA_VERSION + 1
    with pytest.raises(SchemaTooNewError, match=f"v{SCHEMA_VERSION + 1}.*up to v{SCHEMA_VERSION}"):
        store_factory()


def test_missing_migration_is_an_error(store: StateStore) -> None:
    with pytest.raises(StoreError, match="no migration"):
        ensure_schema(store._backend, current=SCHEMA_VERSION + 2, migrations={})


def test_indexes_on_mongodb_compatible_servers(store: StateStore, backend_name: str) -> None:
    if backend_name == "embedded":
        assert store.kind is BackendKind.EMBEDDED
        return
    assert store.kind is BackendKind.FERRETDB
    coll: pymongo.collection.Collection[dict[str, Any]] = store._backend.collection("resources")
    unique = [i for i in coll.index_information().values() if i.get("unique")]
    assert [("kind", 1), ("name", 1), ("revision", -1)] in [i["key"] for i in unique]
