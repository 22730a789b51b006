"""mongodump's on-disk format, written (``--gzip``) and read (gzip or not) with pymongo's ``bson``.

Per collection: ``<coll>.bson[.gz]`` is the documents' raw BSON back to back;
``<coll>.metadata.json[.gz]`` is canonical Extended JSON with the keys mongodump
writes (mongo-tools ``dump/metadata_dump.go``): ``options``, ``indexes``,
``uuid`` (hex, no dashes), ``collectionName``, ``type``. Files ending ``.gz``
are gzip-compressed, others plain.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, cast

import bson
from bson import json_util
from bson.binary import Binary
from bson.raw_bson import RawBSONDocument
from bson.son import SON

from fleetflow.errors import BackupError

_CANONICAL = json_util.JSONOptions(json_mode=json_util.JSONMode.CANONICAL)
_RAW_CODEC = bson.CodecOptions(document_class=RawBSONDocument)
_CHECK_CODEC: bson.CodecOptions[dict[str, Any]] = bson.CodecOptions(
    datetime_conversion=bson.DatetimeConversion.DATETIME_AUTO
)
METADATA_KEYS = ("options", "indexes", "uuid", "collectionName", "type")


def metadata_document(info: Mapping[str, Any], indexes: Sequence[Mapping[str, Any]]) -> SON[str, Any]:
    """The metadata mongodump writes for one ``listCollections`` entry and its ``listIndexes``."""
    meta: SON[str, Any] = SON()
    meta["options"] = SON(info.get("options", {}))
    meta["indexes"] = [SON(index) for index in indexes]
    uuid = (info.get("info") or {}).get("uuid")
    if isinstance(uuid, Binary):
        meta["uuid"] = bytes(uuid).hex()
    meta["collectionName"] = info["name"]
    meta["type"] = info.get("type", "collection")
    return meta


def encode_metadata(meta: Mapping[str, Any]) -> bytes:
    """Canonical Extended JSON bytes, as mongodump writes them."""
    return json_util.dumps(meta, json_options=_CANONICAL).encode("utf-8")


def write_metadata(path: Path, meta: Mapping[str, Any]) -> int:
    """Write ``<coll>.metadata.json.gz``; returns the compressed size."""
    with gzip.open(path, "wb") as handle:
        handle.write(encode_metadata(meta))
    return path.stat().st_size


def open_dump_file(path: Path) -> IO[bytes]:
    """A dump file opened for reading: gunzipped when its name ends ``.gz``."""
    if path.name.endswith(".gz"):
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def read_metadata(path: Path) -> dict[str, Any]:
    """Parse a ``.metadata.json[.gz]`` file (relaxed or canonical Extended JSON)."""
    try:
        with open_dump_file(path) as handle:
            meta = json_util.loads(handle.read().decode("utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"cannot read collection metadata {path}: {exc}") from exc
    if not isinstance(meta, dict) or "indexes" not in meta:
        raise BackupError(f"{path} is not mongodump metadata (no `indexes` key)")
    return meta


def iter_bson_file(path: Path) -> Iterator[RawBSONDocument]:
    """Documents of a ``.bson[.gz]`` file, one at a time, as raw BSON (fields and types untouched)."""
    try:
        with open_dump_file(path) as handle:
            yield from bson.decode_file_iter(handle, codec_options=_RAW_CODEC)
    except (OSError, bson.errors.InvalidBSON, EOFError) as exc:
        raise BackupError(f"cannot read BSON dump {path}: {exc}", hint="the file is damaged") from exc


def check_bson_file(path: Path) -> int:
    """Decode every document of a ``.bson[.gz]`` file fully (framing, element types, UTF-8); the count.

    Raises BackupError naming the file and the document number where the structure breaks.
    """
    count = 0
    try:
        with open_dump_file(path) as handle:
            for _ in bson.decode_file_iter(handle, codec_options=_CHECK_CODEC):
                count += 1
    except (OSError, bson.errors.InvalidBSON, EOFError, ValueError) as exc:
        raise BackupError(
            f"{path}: document {count + 1} is not valid BSON: {exc}", hint="the file is damaged or truncated"
        ) from exc
    return count


LEGACY_INDEX_OPTIONS = ("v", "ns")


def index_specs(meta: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``createIndexes`` specs from metadata: every index but ``_id_``, without ``v``/``ns``."""
    specs = []
    for index in meta.get("indexes", []):
        if index.get("name") == "_id_":
            continue
        specs.append({k: v for k, v in index.items() if k not in LEGACY_INDEX_OPTIONS})
    return specs
