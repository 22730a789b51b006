"""Dumps and restores against FerretDB: format, round trip, atomicity, errors."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import bson
import pytest
from bson import Int64, ObjectId
from bson.raw_bson import RawBSONDocument
from pymongo import ASCENDING, DESCENDING, MongoClient

from fleetflow.backup import DumpProgress, DumpTool, dump_database, list_dumps, restore_dump, verify_manifest
from fleetflow.backup import mongo_client as mongo_client_module
from fleetflow.backup.mongo_format import METADATA_KEYS
from fleetflow.errors import BackupError, ComponentUnavailable

pytestmark = pytest.mark.mongo
NOW = datetime(2024, 6, 1, 3, 0, 0, tzinfo=UTC)


@pytest.fixture
def client(mongodb_url: str) -> Iterator[MongoClient[Any]]:
    with MongoClient(mongodb_url, serverSelectionTimeoutMS=3000) as c:
        yield c


@pytest.fixture
def db_name(client: MongoClient[Any]) -> Iterator[str]:
    names = [f"ffb_{uuid.uuid4().hex[:10]}"]
    yield names[0]
    for name in (names[0], f"{names[0]}_r"):
        client.drop_database(name)


def fill(client: MongoClient[Any], name: str) -> None:
    db = client[name]
    db.stacks.insert_many(
        [
            {
                "_id": ObjectId(),
                "name": f"stack-{n}",
                "server": f"host{n % 3}",
                "revision": Int64(n),
                "price": 1.10 + n,  # FerretDB v1 has no Decimal128
                "deployed_at": datetime(2024, 1, 1, n % 24, tzinfo=UTC),
                "blob": bytes([n % 256]) * 5,
                "services": [{"name": "web", "replicas": n % 4}, {"name": "db"}],
                "labels": {"team": "ops", "tier": None},
            }
            for n in range(250)
        ]
    )
    db.stacks.create_index([("server", ASCENDING), ("name", DESCENDING)], name="server_name", unique=True)
    db.stacks.create_index("revision", name="revision_sparse", sparse=True)
    db.create_collection("health", capped=True, size=65536)
    db.health.insert_one({"_id": "h1", "cpu": 0.5})
    db.cursors.insert_one({"_id": "repo@main", "commit": "a" * 40})


def snapshot_of(client: MongoClient[Any], name: str) -> dict[str, Any]:
    """Every collection's raw BSON documents (byte-exact), indexes and options."""
    raw = client.get_database(name, codec_options=bson.CodecOptions(document_class=RawBSONDocument))
    plain = client[name]
    out: dict[str, Any] = {}
    for info in sorted(plain.list_collections(), key=lambda i: i["name"]):
        coll = info["name"]
        docs = sorted(bytes(d.raw) for d in raw[coll].find())
        indexes = sorted(
            (i["name"], tuple(i["key"].items()), bool(i.get("unique")), bool(i.get("sparse")))
            for i in plain[coll].list_indexes()
        )
        out[coll] = (docs, indexes, info["options"])
    return out


def test_dump_drop_restore_round_trip_is_identical(
    client: MongoClient[Any], mongodb_url: str, db_name: str, tmp_path: Path
) -> None:
    fill(client, db_name)
    before = snapshot_of(client, db_name)
    progress: list[DumpProgress] = []
    result = dump_database(mongodb_url, db_name, tmp_path, now=NOW, on_progress=progress.append)
    assert result.path == tmp_path / "2024-06-01T030000Z"
    assert result.documents == 252
    assert [(p.collection, p.done, p.total) for p in progress] == [
        ("cursors", 1, 3),
        ("health", 2, 3),
        ("stacks", 3, 3),
    ]
    client.drop_database(db_name)
    restored = restore_dump(result.path, mongodb_url, db_name)
    assert restored.collections == {"cursors": 1, "health": 1, "stacks": 250}
    assert restored.indexes == 2
    assert snapshot_of(client, db_name) == before
    # a second copy under another name (what `restore --to` does)
    restore_dump(result.path, mongodb_url, f"{db_name}_r")
    assert snapshot_of(client, f"{db_name}_r") == before


def test_layout_follows_mongodump_gzip_format(
    client: MongoClient[Any], mongodb_url: str, db_name: str, tmp_path: Path
) -> None:
    fill(client, db_name)
    result = dump_database(mongodb_url, db_name, tmp_path, now=NOW, tool=DumpTool.PYMONGO)
    folder = result.path / db_name
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        f"{c}{suffix}"
        for c in ("cursors", "health", "stacks")
        for suffix in (".bson.gz", ".metadata.json.gz")
    )
    docs = bson.decode_all(gzip.decompress((folder / "stacks.bson.gz").read_bytes()))
    assert len(docs) == 250
    assert {d["name"] for d in docs} == {f"stack-{n}" for n in range(250)}
    meta = json.loads(gzip.decompress((folder / "health.metadata.json.gz").read_bytes()))
    assert tuple(meta) == METADATA_KEYS
    assert meta["collectionName"] == "health"
    assert meta["type"] == "collection"
    assert meta["options"]["capped"] is True
    assert len(meta["uuid"]) == 32
    assert int(meta["uuid"], 16) >= 0
    assert {i["name"] for i in meta["indexes"]} == {"_id_"}
    summary = json.loads((result.path / "dump.json").read_text())
    assert summary["database"] == db_name
    assert summary["timestamp"] == NOW.isoformat()
    assert summary["collections"]["stacks"]["documents"] == 250
    assert verify_manifest(result.path) == 7
    assert [d.path for d in list_dumps(tmp_path)] == [result.path]


def test_selected_collections_only_and_unknown_named(
    client: MongoClient[Any], mongodb_url: str, db_name: str, tmp_path: Path
) -> None:
    fill(client, db_name)
    result = dump_database(mongodb_url, db_name, tmp_path, now=NOW, collections=["cursors"])
    assert [c.name for c in result.collections] == ["cursors"]
    with pytest.raises(BackupError, match=r"no collection.*nope"):
        dump_database(mongodb_url, db_name, tmp_path / "other", collections=["nope"])
    assert list_dumps(tmp_path / "other") == []


def test_failure_half_way_leaves_no_folder_at_all(
    client: MongoClient[Any], mongodb_url: str, db_name: str, tmp_path: Path
) -> None:
    fill(client, db_name)

    def explode(progress: DumpProgress) -> None:
        if progress.done == 2:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        dump_database(mongodb_url, db_name, tmp_path, now=NOW, on_progress=explode)
    assert list(tmp_path.iterdir()) == []


KILLER = """
import os, signal, sys
from pathlib import Path
from fleetflow.backup import dump_database
def die(progress):
    if progress.done == 2:
        os.kill(os.getpid(), signal.SIGKILL)
dump_database(sys.argv[1], sys.argv[2], Path(sys.argv[3]), on_progress=die)
"""


def test_killed_dump_leaves_only_a_partial_folder(
    client: MongoClient[Any], mongodb_url: str, db_name: str, tmp_path: Path
) -> None:
    fill(client, db_name)
    done = subprocess.run(
        [sys.executable, "-c", KILLER, mongodb_url, db_name, str(tmp_path)], timeout=60, check=False
    )
    assert done.returncode == -signal.SIGKILL
    leftovers = [p.name for p in tmp_path.iterdir()]
    assert len(leftovers) == 1
    assert leftovers[0].startswith(".partial-")
    assert list_dumps(tmp_path) == []


def test_restore_refuses_non_empty_target_unless_drop(
    client: MongoClient[Any], mongodb_url: str, db_name: str, tmp_path: Path
) -> None:
    fill(client, db_name)
    result = dump_database(mongodb_url, db_name, tmp_path, now=NOW)
    client[db_name].stacks.insert_one({"name": "added later"})
    with pytest.raises(BackupError, match="is not empty"):
        restore_dump(result.path, mongodb_url, db_name)
    assert client[db_name].stacks.count_documents({}) == 251
    restore_dump(result.path, mongodb_url, db_name, drop=True)
    assert client[db_name].stacks.count_documents({}) == 250


def test_restore_refuses_a_damaged_dump(
    client: MongoClient[Any], mongodb_url: str, db_name: str, tmp_path: Path
) -> None:
    fill(client, db_name)
    result = dump_database(mongodb_url, db_name, tmp_path, now=NOW)
    target = result.path / db_name / "stacks.bson.gz"
    target.write_bytes(target.read_bytes()[:-10])
    with pytest.raises(BackupError, match="checksum mismatch"):
        restore_dump(result.path, mongodb_url, f"{db_name}_r")
    assert f"{db_name}_r" not in client.list_database_names()


def test_same_second_dump_is_refused(
    client: MongoClient[Any], mongodb_url: str, db_name: str, tmp_path: Path
) -> None:
    fill(client, db_name)
    dump_database(mongodb_url, db_name, tmp_path, now=NOW)
    with pytest.raises(BackupError, match="already exists"):
        dump_database(mongodb_url, db_name, tmp_path, now=NOW)


def test_unreachable_server_error_masks_the_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mongo_client_module, "SERVER_TIMEOUT_MS", 300)
    url = "mongodb://fleet:hunter2secret@127.0.0.1:1/admin"
    with pytest.raises(ComponentUnavailable) as caught:
        dump_database(url, "x", tmp_path, now=NOW)
    assert "hunter2secret" not in str(caught.value)
    assert "fleet:***@127.0.0.1:1" in str(caught.value)
    assert list(tmp_path.iterdir()) == []
    assert os.environ.get("FF_NEVER") is None  # no environment side effects
