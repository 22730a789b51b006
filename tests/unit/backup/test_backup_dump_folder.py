"""Locating and vouching for dump folders: fleetflow's (manifest) and mongodump's (gzip or plain)."""

from __future__ import annotations

import gzip
from pathlib import Path

import bson
import pytest
from pymongo.errors import OperationFailure

from fleetflow.backup import write_manifest
from fleetflow.backup.dump_folder import check_dump, collection_files, locate_dump
from fleetflow.backup.indexes import refused_option
from fleetflow.backup.mongo_format import check_bson_file, encode_metadata, read_metadata
from fleetflow.errors import BackupError

DOCS = [{"_id": n, "name": f"stack-{n}"} for n in range(3)]
META = {
    "indexes": [{"v": 2, "key": {"_id": 1}, "name": "_id_"}],
    "collectionName": "stacks",
    "type": "collection",
}


def mongodump_folder(out: Path, *, gz: bool, database: str = "fleet") -> Path:
    """What `mongodump --db=fleet --out=<out> [--gzip]` writes (prelude included)."""
    folder = out / database
    folder.mkdir(parents=True)
    ext = ".gz" if gz else ""
    files = {
        f"stacks.bson{ext}": b"".join(bson.encode(d) for d in DOCS),
        f"stacks.metadata.json{ext}": encode_metadata(META),
        f"prelude.json{ext}": b'{"ServerVersion":"7.0.42"}',
    }
    for name, data in files.items():
        (folder / name).write_bytes(gzip.compress(data) if gz else data)
    return folder


@pytest.mark.parametrize("gz", [True, False])
def test_mongodump_folder_without_manifest_is_checked_by_structure(tmp_path: Path, gz: bool) -> None:
    folder = mongodump_folder(tmp_path / "out", gz=gz)
    for given in (tmp_path / "out", folder):
        dump = locate_dump(given)
        assert (dump.root, dump.database, dump.manifest) == (tmp_path / "out", folder, False)
    [coll] = collection_files(folder)
    assert (coll.name, coll.data is not None, coll.metadata is not None) == ("stacks", True, True)
    assert read_metadata(coll.metadata or folder)["collectionName"] == "stacks"
    check = check_dump(locate_dump(folder))
    assert (check.manifest, check.files, check.documents) == (False, 1, 3)
    assert "no MANIFEST.sha256" in check.describe()
    assert "3 documents" in check.describe()


def test_a_manifest_wins_at_either_level(tmp_path: Path) -> None:
    folder = mongodump_folder(tmp_path / "stamp", gz=True)
    write_manifest(tmp_path / "stamp")
    for given in (tmp_path / "stamp", folder):
        dump = locate_dump(given)
        assert (dump.root, dump.database, dump.manifest) == (tmp_path / "stamp", folder, True)
    assert check_dump(locate_dump(folder)).describe() == "MANIFEST.sha256 verified (3 files)"


def test_truncated_bson_is_named_with_the_document_number(tmp_path: Path) -> None:
    folder = mongodump_folder(tmp_path / "out", gz=False)
    data = folder / "stacks.bson"
    data.write_bytes(data.read_bytes()[:-5])
    with pytest.raises(BackupError, match=r"stacks\.bson: document 3 is not valid BSON"):
        check_dump(locate_dump(folder))


def test_corrupt_element_type_is_caught_not_just_framing(tmp_path: Path) -> None:
    data = tmp_path / "x.bson"
    raw = bytearray(bson.encode({"a": "text"}))
    raw[4] = 0x7E  # an element type that does not exist
    data.write_bytes(bytes(raw))
    with pytest.raises(BackupError, match="document 1 is not valid BSON"):
        check_bson_file(data)


def test_metadata_without_its_data_file_is_refused(tmp_path: Path) -> None:
    folder = mongodump_folder(tmp_path / "out", gz=True)
    (folder / "stacks.bson.gz").unlink()
    (folder / "other.bson.gz").write_bytes(gzip.compress(bson.encode({"_id": 1})))
    with pytest.raises(BackupError, match=r"stacks\.metadata\.json\.gz has no data file"):
        check_dump(locate_dump(folder))


def test_folders_that_are_not_dumps_say_what_to_point_at(tmp_path: Path) -> None:
    (tmp_path / "empty" / "db").mkdir(parents=True)
    with pytest.raises(BackupError, match="is not a dump folder"):
        locate_dump(tmp_path / "empty")
    mongodump_folder(tmp_path / "two", gz=True, database="a")
    mongodump_folder(tmp_path / "two", gz=True, database="b")
    with pytest.raises(BackupError, match="holds databases a, b"):
        locate_dump(tmp_path / "two")
    assert locate_dump(tmp_path / "two", "b").database == tmp_path / "two" / "b"
    with pytest.raises(BackupError, match="is not a folder"):
        locate_dump(tmp_path / "missing")


@pytest.mark.parametrize(
    ("errmsg", "option"),
    [
        ('Index option "ns" is unknown', "ns"),
        ('Index option "collation" is not implemented yet', "collation"),
        ("The field 'bogus' is not valid for an index specification. Specification: {}", "bogus"),
        ("E11000 duplicate key error", None),
    ],
)
def test_refused_option_is_read_from_the_server_error(errmsg: str, option: str | None) -> None:
    assert refused_option(OperationFailure(errmsg, 2, {"ok": 0, "errmsg": errmsg, "code": 2})) == option
