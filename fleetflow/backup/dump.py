"""Dump one MongoDB database into mongodump's ``--gzip`` layout, atomically, with a checksum manifest."""

from __future__ import annotations

import gzip
import json
import secrets
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bson.raw_bson import RawBSONDocument
from pydantic import BaseModel, ConfigDict
from pymongo.database import Database
from pymongo.errors import PyMongoError

from fleetflow.backup import layout
from fleetflow.backup.manifest import write_manifest
from fleetflow.backup.mongo_client import mongo_client, mongo_failure
from fleetflow.backup.mongo_format import iter_bson_file, metadata_document, read_metadata, write_metadata
from fleetflow.backup.mongodump_tool import DumpTool, resolve_tool, run_mongodump
from fleetflow.backup.redact import mask_url
from fleetflow.errors import BackupError

BATCH_SIZE = 1000


class CollectionDump(BaseModel):
    """What was saved of one collection."""

    model_config = ConfigDict(frozen=True)

    name: str
    type: str
    documents: int
    bson_bytes: int
    gzip_bytes: int


class DumpProgress(BaseModel):
    """Reported after each collection."""

    model_config = ConfigDict(frozen=True)

    collection: str
    done: int
    total: int
    documents: int


class DumpResult(BaseModel):
    """A finished dump: where it is and what it holds."""

    model_config = ConfigDict(frozen=True)

    path: Path
    taken_at: datetime
    database: str
    collections: tuple[CollectionDump, ...]
    documents: int
    bytes_on_disk: int
    duration_seconds: float


def _dump_collection(db: Database[Any], info: Mapping[str, Any], folder: Path) -> CollectionDump:
    name = str(info["name"])
    kind = str(info.get("type", "collection"))
    indexes = list(db[name].list_indexes()) if kind == "collection" else []
    gzip_bytes = write_metadata(folder / f"{name}{layout.METADATA_SUFFIX}", metadata_document(info, indexes))
    documents = bson_bytes = 0
    if kind == "collection":
        raw = db.get_collection(name).with_options(
            codec_options=db.codec_options.with_options(document_class=RawBSONDocument)
        )
        target = folder / f"{name}{layout.BSON_SUFFIX}"
        with gzip.open(target, "wb", compresslevel=6) as handle:
            for doc in raw.find({}, batch_size=BATCH_SIZE):
                handle.write(doc.raw)
                documents += 1
                bson_bytes += len(doc.raw)
        gzip_bytes += target.stat().st_size
    return CollectionDump(
        name=name, type=kind, documents=documents, bson_bytes=bson_bytes, gzip_bytes=gzip_bytes
    )


def _wanted(db: Database[Any], collections: Sequence[str] | None) -> list[Mapping[str, Any]]:
    infos = [i for i in db.list_collections() if not str(i["name"]).startswith("system.")]
    if collections is None:
        return sorted(infos, key=lambda i: str(i["name"]))
    by_name = {str(i["name"]): i for i in infos}
    unknown = sorted(set(collections) - by_name.keys())
    if unknown:
        raise BackupError(
            f"database {db.name} has no collection(s) {', '.join(unknown)}",
            hint=f"existing: {', '.join(sorted(by_name)) or '(none)'}",
        )
    return [by_name[c] for c in sorted(set(collections))]


Progress = Callable[[DumpProgress], None] | None


def _dump_with_pymongo(
    url: str, database: str, folder: Path, collections: Sequence[str] | None, on_progress: Progress
) -> list[CollectionDump]:
    with mongo_client(url) as client:
        db = client[database]
        try:
            infos = _wanted(db, collections)
            saved = []
            for number, info in enumerate(infos, start=1):
                saved.append(_dump_collection(db, info, folder))
                if on_progress is not None:
                    on_progress(
                        DumpProgress(
                            collection=saved[-1].name,
                            done=number,
                            total=len(infos),
                            documents=saved[-1].documents,
                        )
                    )
        except PyMongoError as exc:
            raise mongo_failure(f"dump of database {database}", url, exc) from exc
    return saved


def _stats_from_files(folder: Path, on_progress: Progress) -> list[CollectionDump]:
    """Per-collection stats read back from a dump folder written by mongodump."""
    metas = sorted(folder.glob(f"*{layout.METADATA_SUFFIX}"))
    saved = []
    for number, meta_path in enumerate(metas, start=1):
        name = meta_path.name.removesuffix(layout.METADATA_SUFFIX)
        data = folder / f"{name}{layout.BSON_SUFFIX}"
        docs = list(iter_bson_file(data)) if data.is_file() else []
        saved.append(
            CollectionDump(
                name=name,
                type=str(read_metadata(meta_path).get("type", "collection")),
                documents=len(docs),
                bson_bytes=sum(len(d.raw) for d in docs),
                gzip_bytes=meta_path.stat().st_size + (data.stat().st_size if data.is_file() else 0),
            )
        )
        if on_progress is not None:
            on_progress(DumpProgress(collection=name, done=number, total=len(metas), documents=len(docs)))
    return saved


def dump_database(
    url: str,
    database: str,
    dest_root: Path,
    *,
    now: datetime | None = None,
    collections: Sequence[str] | None = None,
    on_progress: Callable[[DumpProgress], None] | None = None,
    tool: DumpTool = DumpTool.AUTO,
) -> DumpResult:
    """Dump ``database`` to ``dest_root/<stamp>/<database>/``; the folder appears only when complete.

    Writes a ``dump.json`` summary and a ``MANIFEST.sha256`` over every file. ``tool=AUTO`` uses
    ``mongodump`` when it is on PATH (and no collection subset is asked for), pymongo otherwise.
    Raises BackupError (URL password masked) and leaves no complete-looking folder on failure.
    """
    started = time.perf_counter()
    taken_at = layout.as_utc(now or datetime.now(UTC))
    final = dest_root / layout.format_stamp(taken_at)
    if final.exists():
        raise BackupError(f"dump folder {final} already exists", hint="wait a second or pass another `now`")
    chosen, binary = resolve_tool(tool if collections is None else DumpTool.PYMONGO)
    dest_root.mkdir(parents=True, exist_ok=True)
    partial = dest_root / f"{layout.PARTIAL_PREFIX}{final.name}-{secrets.token_hex(4)}"
    folder = partial / database
    folder.mkdir(parents=True)
    try:
        if binary is not None:
            with mongo_client(url):  # a clear "cannot be reached" before mongodump's own 30 s wait
                pass
            run_mongodump(binary, url, database, partial)
            saved = _stats_from_files(folder, on_progress)
        else:
            saved = _dump_with_pymongo(url, database, folder, collections, on_progress)
        summary = {
            "format": "mongodump-gzip",
            "tool": chosen.value,
            "timestamp": taken_at.isoformat(),
            "database": database,
            "source": mask_url(url),
            "collections": {c.name: c.model_dump(exclude={"name"}) for c in saved},
        }
        (partial / layout.SUMMARY_NAME).write_text(json.dumps(summary, indent=2), encoding="utf-8")
        write_manifest(partial)
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return DumpResult(
        path=final,
        taken_at=taken_at,
        database=database,
        collections=tuple(saved),
        documents=sum(c.documents for c in saved),
        bytes_on_disk=sum(p.stat().st_size for p in final.rglob("*") if p.is_file()),
        duration_seconds=round(time.perf_counter() - started, 3),
    )
