"""Restore a dump in mongodump's layout into a database with pymongo (what ``mongorestore`` does).

Reads fleetflow's dumps (manifest checked) and folders written by ``mongodump``,
gzip or not (each BSON file's structure checked instead). Indexes are recreated
from the metadata, dropping options the target server refuses (see ``indexes``).
"""

from __future__ import annotations

import time
from itertools import islice
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict
from pymongo.database import Database
from pymongo.errors import PyMongoError

from fleetflow.backup.dump_folder import CollectionFiles, check_dump, collection_files, locate_dump
from fleetflow.backup.indexes import restore_indexes
from fleetflow.backup.mongo_client import mongo_client, mongo_failure
from fleetflow.backup.mongo_format import iter_bson_file, read_metadata
from fleetflow.errors import BackupError

INSERT_BATCH = 1000


class RestoreResult(BaseModel):
    """What a restore wrote, and how the dump was vouched for."""

    model_config = ConfigDict(frozen=True)

    database: str
    collections: dict[str, int]
    documents: int
    indexes: int
    duration_seconds: float
    manifest: bool = True
    checked: str = ""
    dropped_index_options: tuple[str, ...] = ()


def _meta(coll: CollectionFiles) -> dict[str, Any]:
    return read_metadata(coll.metadata) if coll.metadata is not None else {"indexes": []}


def _restore_documents(db: Database[Any], coll: CollectionFiles, meta: dict[str, Any]) -> tuple[str, int]:
    name = str(meta.get("collectionName") or coll.name)
    options = dict(meta.get("options") or {})
    if meta.get("type", "collection") == "view":
        db.command({"create": name, **options})
        return name, 0
    db.create_collection(name, **options)
    documents = 0
    if coll.data is not None:
        stream = iter_bson_file(coll.data)
        while batch := list(islice(stream, INSERT_BATCH)):
            db[name].insert_many(batch, ordered=True)
            documents += len(batch)
    return name, documents


def _prepare_target(db: Database[Any], *, drop: bool, indexes_only: bool) -> list[str]:
    existing = [n for n in db.list_collection_names() if not n.startswith("system.")]
    if indexes_only:
        return existing
    if existing and not drop:
        raise BackupError(
            f"database {db.name} is not empty ({len(existing)} collections)",
            hint="restore into an empty database, or pass drop=True (--drop) to replace it",
        )
    if existing:
        db.client.drop_database(db.name)
    return []


def restore_dump(
    dump_dir: Path,
    url: str,
    database: str,
    *,
    source_database: str | None = None,
    drop: bool = False,
    indexes_only: bool = False,
) -> RestoreResult:
    """Restore ``dump_dir`` (a ``<stamp>`` / ``--out`` folder, or a database folder in one) into ``database``.

    Checks the manifest, or without one each BSON file's structure, before writing anything;
    refuses a database that already has collections unless ``drop``. ``indexes_only`` creates
    only the indexes, on collections restored already (e.g. by ``mongorestore --noIndexRestore``).
    """
    started = time.perf_counter()
    dump = locate_dump(dump_dir, source_database)
    check = check_dump(dump)
    entries = [(coll, _meta(coll)) for coll in collection_files(dump.database)]
    # Collections first, views after (a view needs its source collection).
    entries.sort(key=lambda e: e[1].get("type") == "view")
    counts: dict[str, int] = {}
    created = 0
    dropped: list[str] = []
    with mongo_client(url) as client:
        db = client[database]
        try:
            existing = _prepare_target(db, drop=drop, indexes_only=indexes_only)
            for coll, meta in entries:
                if indexes_only:
                    name = str(meta.get("collectionName") or coll.name)
                    if meta.get("type", "collection") == "view":
                        continue
                    if name not in existing:
                        raise BackupError(
                            f"database {database} has no collection {name} to index",
                            hint="restore the documents first (e.g. mongorestore --noIndexRestore)",
                        )
                else:
                    name, counts[name] = _restore_documents(db, coll, meta)
                if meta.get("type", "collection") == "collection":
                    outcome = restore_indexes(db, name, meta)
                    created += outcome.created
                    dropped += outcome.dropped
        except PyMongoError as exc:
            raise mongo_failure(f"restore into database {database}", url, exc) from exc
    return RestoreResult(
        database=database,
        collections=counts,
        documents=sum(counts.values()),
        indexes=created,
        duration_seconds=round(time.perf_counter() - started, 3),
        manifest=check.manifest,
        checked=check.describe(),
        dropped_index_options=tuple(dropped),
    )
