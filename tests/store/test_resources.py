"""Resources: revisions, stale writers, tombstones, listing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from fleetflow.errors import StaleWriteError, StoreError
from fleetflow.store import StateStore
from fleetflow.store.resources import KEEP_REVISIONS
from tests.store.conftest import StoreFactory

pytestmark = pytest.mark.mongo


def test_put_get_round_trip_keeps_odd_keys(store: StateStore) -> None:
    config = {"server": "host1", "environment": {"A.B": "1", "$X": "2"}, "after": ["db"]}
    assert store.put_resource("stack", "web", config, "c1", expected_revision=0) == 1
    got = store.get_resource("stack", "web")
    assert got is not None
    assert (got.revision, got.config, got.commit) == (1, config, "c1")
    assert got.updated.tzinfo is not None


def test_stale_writer_fails_loudly(store: StateStore) -> None:
    store.put_resource("stack", "web", {"v": 1}, "c1", expected_revision=0)
    assert store.put_resource("stack", "web", {"v": 2}, "c2", expected_revision=1) == 2
    with pytest.raises(StaleWriteError, match="revision 2, not 1"):
        store.put_resource("stack", "web", {"v": 3}, "c3", expected_revision=1)
    with pytest.raises(StaleWriteError):
        store.put_resource("stack", "web", {"v": 3}, "c3", expected_revision=0)
    got = store.get_resource("stack", "web")
    assert got is not None
    assert got.config == {"v": 2}


def test_unchecked_write_bumps_revision(store: StateStore) -> None:
    assert store.put_resource("server", "h", {}, "c", expected_revision=None) == 1
    assert store.put_resource("server", "h", {"a": 1}, "c", expected_revision=None) == 2


def test_concurrent_writers_of_same_revision_exactly_one_wins(store_factory: StoreFactory) -> None:
    stores = [store_factory() for _ in range(4)]
    stores[0].put_resource("stack", "web", {"v": 0}, "c0", expected_revision=0)

    def write(i: int) -> bool:
        try:
            stores[i].put_resource("stack", "web", {"v": i + 1}, f"c{i}", expected_revision=1)
            return True
        except StaleWriteError:
            return False

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(write, range(4)))
    assert results.count(True) == 1
    got = stores[0].get_resource("stack", "web")
    assert got is not None
    assert got.revision == 2
    assert got.config == {"v": results.index(True) + 1}


def test_delete_leaves_tombstone_and_recreate_needs_current_revision(store: StateStore) -> None:
    store.put_resource("stack", "web", {"v": 1}, "c1", expected_revision=0)
    assert store.delete_resource("stack", "web", commit="c2")
    assert not store.delete_resource("stack", "web")
    assert store.get_resource("stack", "web") is None
    assert store.current_revision("stack", "web") == 2
    assert store.put_resource("stack", "web", {"v": 3}, "c3", expected_revision=0) == 3


def test_list_resources_latest_live_only(store: StateStore) -> None:
    for name in ("b", "a", "c"):
        store.put_resource("stack", name, {"n": name}, "c1", expected_revision=0)
    store.put_resource("stack", "a", {"n": "a2"}, "c2", expected_revision=1)
    store.delete_resource("stack", "c")
    store.put_resource("server", "a", {}, "c1", expected_revision=0)
    listed = store.list_resources("stack")
    assert [(r.name, r.revision, r.config) for r in listed] == [("a", 2, {"n": "a2"}), ("b", 1, {"n": "b"})]


def test_old_revisions_are_pruned(store: StateStore) -> None:
    for rev in range(KEEP_REVISIONS + 5):
        store.put_resource("stack", "web", {"rev": rev}, "c", expected_revision=rev)
    assert store.current_revision("stack", "web") == KEEP_REVISIONS + 5
    assert store.list_resources("stack")[0].config == {"rev": KEEP_REVISIONS + 4}
    assert store.contains_text("web")
    # nothing older than the kept window remains
    assert store.put_resource("stack", "web", {}, "c", expected_revision=KEEP_REVISIONS + 5)


def test_bad_kind_rejected(store: StateStore) -> None:
    with pytest.raises(StoreError, match="kind"):
        store.put_resource("st:ack", "x", {}, "c", expected_revision=None)
