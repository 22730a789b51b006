"""Dumps interoperate with the real MongoDB Database Tools, against FerretDB on the test bed.

fleetflow dump -> ``mongorestore``; ``mongodump`` -> ``fleetflow restore mongo``;
``mongodump`` -> ``mongorestore`` as the control. FerretDB v1 refuses the legacy
``ns`` index option that ``mongorestore`` adds, so index restores go through
``fleetflow restore mongo --indexes-only`` where ``mongorestore`` cannot.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
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
from typer.testing import CliRunner

from fleetflow.backup import DumpTool, dump_database
from fleetflow.cli.backup import restore_app
from fleetflow.store.codec import encode

pytestmark = pytest.mark.mongo
NOW = datetime(2024, 6, 1, 3, 0, 0, tzinfo=UTC)
TOOL_TIMEOUT = 300
FERRETDB_NS_REFUSAL = 'Index option "ns" is unknown'


@pytest.fixture
def client(mongodb_url: str) -> Iterator[MongoClient[Any]]:
    with MongoClient(mongodb_url, serverSelectionTimeoutMS=3000) as c:
        yield c


@pytest.fixture
def names(client: MongoClient[Any]) -> Iterator[tuple[str, str]]:
    """A source database and a restore target, both dropped afterwards."""
    source = f"ffmt_{uuid.uuid4().hex[:10]}"
    yield source, f"{source}_r"
    for name in (source, f"{source}_r"):
        client.drop_database(name)


def fill(client: MongoClient[Any], name: str) -> int:
    """Documents of every BSON type fleetflow stores, a unique compound, a unique and a sparse index."""
    db = client[name]
    db.stacks.insert_many(
        [
            encode(
                {
                    "_id": ObjectId(),
                    "name": f"stack-{n}",
                    "slug": f"s{n:04d}",
                    "server": f"host{n % 3}",
                    "replicas": n % 7,  # int32
                    "revision": Int64(2**40 + n),
                    "price": 1.25 + n,  # double (FerretDB v1 has no Decimal128)
                    "enabled": n % 2 == 0,
                    "note": None if n % 5 else "ünïcødé ✓",
                    "deployed_at": datetime(2024, 1, 1, n % 24, 0, 0, n * 1000 % 999000, tzinfo=UTC),
                    "blob": bytes([n % 256]) * 5,
                    "services": [{"name": "web", "ports": [80, 443]}, {"name": "db", "ports": []}],
                    "labels": {"com.example.tier": "front", "$owner": "ops", "empty": {}},
                }
            )
            for n in range(250)
        ]
    )
    db.stacks.create_index([("server", ASCENDING), ("name", DESCENDING)], name="server_name", unique=True)
    db.stacks.create_index("slug", name="slug_unique", unique=True)
    db.stacks.create_index("revision", name="revision_sparse", sparse=True)  # FerretDB v1 drops `sparse`
    db.create_collection("health", capped=True, size=65536)
    db.health.insert_one({"_id": "h1", "cpu": 0.5, "at": datetime(2024, 6, 1, tzinfo=UTC)})
    db.cursors.insert_one({"_id": "repo@main", "commit": "a" * 40})
    db.create_collection("empty")
    return 252


def documents_of(client: MongoClient[Any], name: str) -> dict[str, list[bytes]]:
    raw = client.get_database(name, codec_options=bson.CodecOptions(document_class=RawBSONDocument))
    return {c: sorted(bytes(d.raw) for d in raw[c].find()) for c in sorted(raw.list_collection_names())}


def indexes_of(client: MongoClient[Any], name: str) -> dict[str, list[tuple[Any, ...]]]:
    db = client[name]
    return {
        c: sorted(
            (i["name"], tuple(i["key"].items()), bool(i.get("unique")), bool(i.get("sparse")))
            for i in db[c].list_indexes()
        )
        for c in sorted(db.list_collection_names())
    }


def options_of(client: MongoClient[Any], name: str) -> dict[str, Any]:
    return {i["name"]: i["options"] for i in client[name].list_collections()}


def assert_same(client: MongoClient[Any], source: str, target: str, *, indexes: bool = True) -> None:
    assert documents_of(client, target) == documents_of(client, source)
    assert options_of(client, target) == options_of(client, source)
    if indexes:
        assert indexes_of(client, target) == indexes_of(client, source)


def run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, capture_output=True, text=True, timeout=TOOL_TIMEOUT, stdin=subprocess.DEVNULL, check=False
    )


def mongodump(tools: dict[str, str], url: str, database: str, out: Path, *, gz: bool) -> Path:
    argv = [tools["mongodump"], f"--uri={url}", f"--db={database}", f"--out={out}", "--quiet"]
    done = run([*argv, "--gzip"] if gz else argv)
    assert done.returncode == 0, done.stderr
    return out


def mongorestore(
    tools: dict[str, str], url: str, folder: Path, source: str, target: str, *, index_restore: bool
) -> subprocess.CompletedProcess[str]:
    argv = [
        tools["mongorestore"],
        f"--uri={url}",
        f"--dir={folder}",
        f"--nsFrom={source}.*",
        f"--nsTo={target}.*",
    ]
    argv += ["--gzip"] if any(folder.rglob("*.bson.gz")) else []
    argv += [] if index_restore else ["--noIndexRestore"]
    return run(argv)


def fleetflow_restore(folder: Path, url: str, target: str, *extra: str) -> str:
    done = CliRunner().invoke(restore_app, ["mongo", "--from", str(folder), "--to", f"{url}{target}", *extra])
    assert done.exit_code == 0, done.output
    return " ".join(done.output.split())


@pytest.mark.parametrize("tool", [DumpTool.PYMONGO, DumpTool.MONGODUMP])
def test_fleetflow_dump_restores_with_mongorestore(
    client: MongoClient[Any],
    mongodb_url: str,
    mongotools: dict[str, str],
    names: tuple[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    tool: DumpTool,
) -> None:
    source, target = names
    fill(client, source)
    monkeypatch.setenv("PATH", f"{Path(mongotools['mongodump']).parent}{os.pathsep}{os.environ['PATH']}")
    result = dump_database(mongodb_url, source, tmp_path, now=NOW, tool=tool)
    assert json.loads((result.path / "dump.json").read_text())["tool"] == tool.value
    done = mongorestore(mongotools, mongodb_url, result.path, source, target, index_restore=False)
    assert done.returncode == 0, done.stderr
    assert "252 document(s) restored successfully. 0 document(s) failed" in done.stderr
    assert_same(client, source, target, indexes=False)
    assert {i[0] for i in indexes_of(client, target)["stacks"]} == {"_id_"}
    output = fleetflow_restore(result.path, mongodb_url, target, "--indexes-only")
    assert "MANIFEST.sha256 verified" in output
    assert "created 3 indexes" in output
    assert "dropped" not in output
    assert_same(client, source, target)


@pytest.mark.parametrize("gz", [True, False], ids=["gzip", "plain"])
@pytest.mark.parametrize("level", ["out", "database"])
def test_mongodump_folder_restores_with_fleetflow(
    client: MongoClient[Any],
    mongodb_url: str,
    mongotools: dict[str, str],
    names: tuple[str, str],
    tmp_path: Path,
    gz: bool,
    level: str,
) -> None:
    source, target = names
    documents = fill(client, source)
    out = mongodump(mongotools, mongodb_url, source, tmp_path / "2024-06-01", gz=gz)
    assert not (out / "MANIFEST.sha256").exists()
    output = fleetflow_restore(out if level == "out" else out / source, mongodb_url, target)
    assert (
        "no MANIFEST.sha256 (a folder written by mongodump?): checked the structure of 4 BSON files" in output
    )
    assert f"({documents} documents) instead" in output
    assert f"restored {documents} documents in 4 collections (3 indexes) into {target}" in output
    assert_same(client, source, target)


def test_mongodump_to_mongorestore_control(
    client: MongoClient[Any],
    mongodb_url: str,
    mongotools: dict[str, str],
    names: tuple[str, str],
    tmp_path: Path,
) -> None:
    source, target = names
    fill(client, source)
    out = mongodump(mongotools, mongodb_url, source, tmp_path / "out", gz=True)
    done = mongorestore(mongotools, mongodb_url, out, source, target, index_restore=True)
    assert "252 document(s) restored successfully. 0 document(s) failed" in done.stderr
    assert_same(client, source, target, indexes=False)
    if done.returncode != 0:  # FerretDB v1: mongorestore adds `ns`, the server refuses it
        assert FERRETDB_NS_REFUSAL in done.stderr, done.stderr
        fleetflow_restore(out, mongodb_url, target, "--indexes-only")
    assert_same(client, source, target)


def test_refused_index_options_are_dropped_and_reported(
    client: MongoClient[Any],
    mongodb_url: str,
    mongotools: dict[str, str],
    names: tuple[str, str],
    tmp_path: Path,
) -> None:
    """A dump from an older server carries `ns`; an option FerretDB refuses (`hidden`) is dropped too."""
    source, target = names
    fill(client, source)
    out = mongodump(mongotools, mongodb_url, source, tmp_path / "out", gz=False)
    meta_path = out / source / "stacks.metadata.json"
    meta = json.loads(meta_path.read_text())
    for index in meta["indexes"]:
        index["ns"] = f"olddb.{source}"
        if index["name"] == "server_name":
            index["hidden"] = False
    meta_path.write_text(json.dumps(meta))
    output = fleetflow_restore(out / source, mongodb_url, target)
    assert "index options dropped (the target server refuses them): " in output
    dropped = output.split("refuses them): ", 1)[1].split(", ")
    assert sorted(dropped) == [
        "stacks.revision_sparse: ns",
        "stacks.server_name: hidden",
        "stacks.server_name: ns",
        "stacks.slug_unique: ns",
    ]
    assert_same(client, source, target)


def test_damaged_mongodump_folder_is_refused_before_writing(
    client: MongoClient[Any],
    mongodb_url: str,
    mongotools: dict[str, str],
    names: tuple[str, str],
    tmp_path: Path,
) -> None:
    source, target = names
    fill(client, source)
    out = mongodump(mongotools, mongodb_url, source, tmp_path / "out", gz=True)
    data = out / source / "stacks.bson.gz"
    data.write_bytes(gzip.compress(gzip.decompress(data.read_bytes())[:-7]))
    done = CliRunner().invoke(restore_app, ["mongo", "--from", str(out), "--to", f"{mongodb_url}{target}"])
    assert done.exit_code == 1
    assert "stacks.bson.gz: document 250 is not valid BSON" in " ".join(done.output.split())
    assert target not in client.list_database_names()
