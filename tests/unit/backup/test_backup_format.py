"""Pure parts of the dump format: metadata per mongodump, manifest, layout, URL masking."""

from __future__ import annotations

import gzip
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import bson
import pytest
from bson.binary import Binary, UuidRepresentation

from fleetflow.backup import list_dumps, mask_url, verify_manifest, write_manifest
from fleetflow.backup.layout import format_stamp, parse_stamp
from fleetflow.backup.mongo_format import (
    METADATA_KEYS,
    index_specs,
    iter_bson_file,
    metadata_document,
    read_metadata,
    write_metadata,
)
from fleetflow.errors import BackupError

INFO = {
    "name": "stacks",
    "type": "collection",
    "options": {"capped": True, "size": 4096},
    "info": {"readOnly": False, "uuid": Binary.from_uuid(uuid.UUID(int=0xABC), UuidRepresentation.STANDARD)},
}
INDEXES = [
    {"v": 2, "key": {"_id": 1}, "name": "_id_"},
    {"v": 2, "key": {"server": 1, "name": -1}, "name": "server_name", "unique": True},
]


def test_metadata_is_canonical_extended_json_with_mongodumps_keys(tmp_path: Path) -> None:
    path = tmp_path / "stacks.metadata.json.gz"
    write_metadata(path, metadata_document(INFO, INDEXES))
    raw = json.loads(gzip.decompress(path.read_bytes()))
    assert tuple(raw) == METADATA_KEYS
    assert raw["uuid"] == f"{0xABC:032x}"
    assert raw["collectionName"] == "stacks"
    assert raw["type"] == "collection"
    assert raw["options"] == {"capped": True, "size": {"$numberInt": "4096"}}
    assert raw["indexes"][1] == {
        "v": {"$numberInt": "2"},
        "key": {"server": {"$numberInt": "1"}, "name": {"$numberInt": "-1"}},
        "name": "server_name",
        "unique": True,
    }
    assert read_metadata(path)["indexes"][1]["key"] == {"server": 1, "name": -1}


def test_index_specs_drop_id_index_and_version() -> None:
    assert index_specs({"indexes": INDEXES}) == [
        {"key": {"server": 1, "name": -1}, "name": "server_name", "unique": True}
    ]


def test_bson_file_is_concatenated_documents(tmp_path: Path) -> None:
    docs = [{"_id": n, "when": datetime(2024, 1, 1, tzinfo=UTC), "blob": b"\x00\x01"} for n in range(3)]
    path = tmp_path / "c.bson.gz"
    path.write_bytes(gzip.compress(b"".join(bson.encode(d) for d in docs)))
    assert [bson.decode(d.raw) for d in iter_bson_file(path)] == [
        {**d, "when": d["when"].replace(tzinfo=None)} for d in docs
    ]


def test_truncated_bson_file_is_a_backup_error(tmp_path: Path) -> None:
    path = tmp_path / "c.bson.gz"
    path.write_bytes(gzip.compress(bson.encode({"a": 1})[:-3]))
    with pytest.raises(BackupError, match="damaged"):
        list(iter_bson_file(path))


def test_manifest_round_trip_and_tamper_detection(tmp_path: Path) -> None:
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "a.bson.gz").write_bytes(b"abc")
    (tmp_path / "dump.json").write_text("{}")
    write_manifest(tmp_path)
    assert "db/a.bson.gz" in (tmp_path / "MANIFEST.sha256").read_text()
    assert verify_manifest(tmp_path) == 2
    (tmp_path / "db" / "a.bson.gz").write_bytes(b"abd")
    (tmp_path / "extra").write_text("x")
    with pytest.raises(BackupError, match=r"checksum mismatch db/a.bson.gz.*|unlisted extra"):
        verify_manifest(tmp_path)


def test_missing_manifest_is_not_a_complete_dump(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="not a complete dump"):
        verify_manifest(tmp_path)


def test_stamps_round_trip_in_utc() -> None:
    local = datetime(2024, 3, 5, 23, 30, 7, 999, tzinfo=timezone(timedelta(hours=-2)))
    assert format_stamp(local) == "2024-03-06T013007Z"
    assert parse_stamp("2024-03-06T013007Z") == datetime(2024, 3, 6, 1, 30, 7, tzinfo=UTC)
    assert parse_stamp("2024-13-06T013007Z") is None
    assert parse_stamp(".partial-2024-03-06T013007Z-ab") is None


def test_list_dumps_ignores_partial_and_unmanifested_folders(tmp_path: Path) -> None:
    for name in ("2024-01-02T000000Z", "2024-01-01T000000Z", ".partial-2024-01-03T000000Z-aa", "notes"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "MANIFEST.sha256").write_text("")
    (tmp_path / "2024-01-04T000000Z").mkdir()  # no manifest: incomplete
    assert [d.path.name for d in list_dumps(tmp_path)] == ["2024-01-01T000000Z", "2024-01-02T000000Z"]
    assert list_dumps(tmp_path / "absent") == []


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("mongodb://admin:s3cr%40t@db:27017/ff", "mongodb://admin:***@db:27017/ff"),
        ("mongodb+srv://u:p@cluster/x?authSource=admin", "mongodb+srv://u:***@cluster/x?authSource=admin"),
        ("mongodb://127.0.0.1:27117", "mongodb://127.0.0.1:27117"),
        ("mongodb://h/db?password=hunter2&w=1", "mongodb://h/db?password=***&w=1"),
    ],
)
def test_mask_url(url: str, masked: str) -> None:
    assert mask_url(url) == masked
