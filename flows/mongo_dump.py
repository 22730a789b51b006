"""``mongo-dump``: dump fleetflow's own state DB and every configured extra MongoDB database.

Each database goes to ``<backup_root>/mongo/<label>/<stamp>/<db>/`` in mongodump's
``--gzip`` layout with a checksum manifest; ``mongorestore --gzip --dir <stamp>`` or
``fleetflow restore mongo`` reads it back. Ad hoc::

    from flows.mongo_dump import mongo_dump
    mongo_dump()
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast
from uuid import UUID

from prefect import flow, get_run_logger
from prefect.artifacts import create_progress_artifact, update_progress_artifact

from fleetflow.backup import DumpResult
from fleetflow.backup.config import DumpSource, dumps_root, load_backup_settings
from fleetflow.runtime import context
from tasks.backup import dump_source


def dump_row(source: DumpSource, result: DumpResult) -> dict[str, Any]:
    """What one dump saved, as plain JSON (no credentials)."""
    return {
        "label": source.label,
        "source": source.shown,
        "database": result.database,
        "path": str(result.path),
        "collections": len(result.collections),
        "documents": result.documents,
        "bytes": result.bytes_on_disk,
        "seconds": result.duration_seconds,
    }


@flow(name="mongo-dump", log_prints=False)
def mongo_dump(now: datetime | None = None) -> list[dict[str, Any]]:
    """Dump every configured database (timestamped ``now``, default the current time)."""
    logger = get_run_logger()
    settings = context.settings()
    backup = load_backup_settings()
    sources, note = backup.sources(settings)
    if note:
        logger.info(note)
    if not sources:
        logger.info("no MongoDB database to dump")
        return []
    moment = now or datetime.now(UTC)
    artifact = cast(
        UUID, create_progress_artifact(progress=0.0, description=f"dumping {len(sources)} database(s)")
    )
    rows = []
    for index, source in enumerate(sources):
        root = dumps_root(settings) / source.label
        result = dump_source(source, root, moment, backup.dump_tool, (artifact, index, len(sources)))
        rows.append(dump_row(source, result))
    update_progress_artifact(artifact, progress=100.0)
    return rows
