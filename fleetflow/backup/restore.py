"""Restore a dump in mongodump's layout into a database with pymongo (what ``mongorestore --gzip`` does)."""

from __future__ import annotations

import time
from itertools import islice
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict
from pymongo.database import Database
from pymongo.errors import PyMongoError

from fleetflow.backup import layout
from fleetflow.backup.manifest import verify_manifest
from fleetflow.backup.mongo_client import mongo_client, mongo_failure
from fleetflow.backup.mongo_format import index_specs, iter_bson_file, read_metadata
from fleetflow.errors import BackupError

INSERT_BATCH = 1000


class RestoreResult(BaseModel):
    """What a restore wrote."""

    model_config = ConfigDict(frozen=True)

    database: str
    collections: dict[str, int]
    documents: int
    indexes: int
    duration_seconds: float


def _source_folder(dump_dir: Path, source_database: str | None) -> Path:
    if source_database is not None:
        folder = dump_dir / source_database
        if not folder.is_dir():
            raise BackupError(f"dump {dump_dir} holds no database {source_database}")
        return folder
    databases = sorted(p for p in dump_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    if len(databases) != 1:
        names = ", ".join(p.name for p in databases) or "(none)"
        raise BackupError(f"dump {dump_dir} holds databases {names}", hint="pass source_database")
    return databases[0]


def _restore_collection(db: Database[Any], meta_path: Path) -> tuple[str, int, int]:
    meta = read_metadata(meta_path)
    name = str(meta.get("collectionName") or meta_path.name.removesuffix(layout.METADATA_SUFFIX))
    options = dict(meta.get("options") or {})
    if meta.get("type", "collection") == "view":
        db.command({"create": name, **options})
        return name, 0, 0
    db.create_collection(name, **options)
    documents = 0
    data = meta_path.with_name(f"{name}{layout.BSON_SUFFIX}")
    if data.is_file():
        stream = iter_bson_file(data)
        while batch := list(islice(stream, INSERT_BATCH)):
            db[name].insert_many(batch, ordered=True)
            documents += len(batch)
    specs = index_specs(meta)
    if specs:
        db.command({"createIndexes": name, "indexes": specs})
    return name, documents, len(specs)


def restore_dump(
    dump_dir: Path,
    url: str,
    database: str,
    *,
    source_database: str | None = None,
    drop: bool = False,
) -> RestoreResult:
    """Restore ``dump_dir`` (a ``<stamp>`` folder) into ``database`` at ``url``.

    Checks the manifest first; refuses a database that already has collections unless ``drop``.
    """
    started = time.perf_counter()
    verify_manifest(dump_dir)
    folder = _source_folder(dump_dir, source_database)
    metas = sorted(folder.glob(f"*{layout.METADATA_SUFFIX}"))
    # Collections first, views after (a view needs its source collection).
    metas.sort(key=lambda p: read_metadata(p).get("type") == "view")
    with mongo_client(url) as client:
        db = client[database]
        try:
            existing = [n for n in db.list_collection_names() if not n.startswith("system.")]
            if existing and not drop:
                raise BackupError(
                    f"database {database} is not empty ({len(existing)} collections)",
                    hint="restore into an empty database, or pass drop=True to replace it",
                )
            if existing:
                client.drop_database(database)
            counts: dict[str, int] = {}
            indexes = 0
            for meta_path in metas:
                name, documents, made = _restore_collection(db, meta_path)
                counts[name] = documents
                indexes += made
        except PyMongoError as exc:
            raise mongo_failure(f"restore into database {database}", url, exc) from exc
    return RestoreResult(
        database=database,
        collections=counts,
        documents=sum(counts.values()),
        indexes=indexes,
        duration_seconds=round(time.perf_counter() - started, 3),
    )
