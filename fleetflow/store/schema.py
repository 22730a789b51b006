"""Schema version, migrations and indexes, applied when the store opens.

The ``_meta`` collection holds ``{"_id": "schema", "version": N}``. A fresh
database gets :data:`SCHEMA_VERSION`; an older one is walked forward by
:data:`MIGRATIONS` (``{from_version: migrate}``, each taking the raw database
to ``from_version + 1``); a newer one raises :class:`SchemaTooNewError`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import suppress
from datetime import timedelta
from functools import partial
from typing import Any

from fleetflow.errors import SchemaTooNewError, StoreError
from fleetflow.store.backend import Backend, DuplicateKey
from fleetflow.store.models import BackendKind

SCHEMA_VERSION = 1
META = "_meta"

Migration = Callable[[Any], None]
MIGRATIONS: Mapping[int, Migration] = {}

COLLECTIONS = (
    "resources",
    "sync_runs",
    "repo_cursors",
    "webhooks",
    "deployments",
    "last_good",
    "health",
    "alerts",
    "alert_history",
    "leases",
    "tokens",
    "audit",
)

# (collection, keys, options) for every index; `_id` uniqueness needs none.
INDEXES: tuple[tuple[str, list[tuple[str, int]], dict[str, Any]], ...] = (
    ("resources", [("kind", 1), ("name", 1), ("revision", -1)], {"unique": True}),
    ("sync_runs", [("sync", 1), ("started", -1)], {}),
    ("deployments", [("stack", 1), ("finished", -1)], {}),
    ("deployments", [("finished", -1)], {}),
    ("health", [("host", 1), ("at", -1)], {}),
    ("alert_history", [("dedup_key", 1), ("resolved", -1)], {}),
    ("leases", [("name", 1), ("generation", -1)], {"unique": True}),
    ("audit", [("at", -1)], {}),
)


def schema_version(backend: Backend) -> int | None:
    """The version recorded in the database, or None when it is fresh."""
    doc = backend.run(
        "reading the schema version", lambda: backend.collection(META).find_one({"_id": "schema"})
    )
    return None if doc is None else int(doc["version"])


def ensure_schema(
    backend: Backend, *, current: int = SCHEMA_VERSION, migrations: Mapping[int, Migration] = MIGRATIONS
) -> int:
    """Stamp, check or migrate the schema; return the version now in the database."""
    found = schema_version(backend)
    if found is None:
        try:
            backend.insert("stamping the schema", META, {"_id": "schema", "version": current})
            return current
        except DuplicateKey:  # another process stamped it first
            found = schema_version(backend)
            assert found is not None
    if found > current:
        raise SchemaTooNewError(
            f"state DB {backend.where} has schema v{found}; this fleetflow understands up to v{current}",
            hint="Upgrade fleetflow (or point it at another database); nothing was changed.",
        )
    meta = backend.collection(META)
    while found < current:
        migrate = migrations.get(found)
        if migrate is None:
            raise StoreError(f"no migration from schema v{found} to v{found + 1} for {backend.where}")
        backend.run(f"migrating schema v{found} -> v{found + 1}", partial(migrate, backend.db))
        found += 1
        stamp = {"$set": {"version": found}}
        backend.run("recording the schema version", partial(meta.update_one, {"_id": "schema"}, stamp))
    return found


def ensure_indexes(backend: Backend, health_retention: timedelta) -> bool:
    """Create every index (MongoDB-compatible servers only); return whether a TTL index exists.

    montydb has no indexes at all, FerretDB v1 none with ``expireAfterSeconds``:
    then the store purges old health samples itself.
    """
    if backend.kind is BackendKind.EMBEDDED:
        # montydb's SQLite engine breaks a collection whose first operation is a delete or
        # update (it creates an empty file without the table): create them all up front.
        existing = set(backend.collection_names())
        for name in COLLECTIONS:
            if name not in existing:
                try:
                    backend.run(f"creating collection {name}", partial(backend.db.create_collection, name))
                except StoreError:  # another process created it meanwhile
                    if name not in backend.collection_names():
                        raise
        return False
    for name, keys, options in INDEXES:
        coll = backend.collection(name)
        backend.run(f"creating an index on {name}", partial(coll.create_index, keys, **options))
    with suppress(StoreError):  # not supported (FerretDB v1): the store purges them itself
        backend.run(
            "creating the failed-auth audit TTL index",
            lambda: backend.collection("audit").create_index(
                [("expires_at", 1)], expireAfterSeconds=0, name="audit_expiry_ttl"
            ),
        )
    ttl = int(health_retention.total_seconds())
    try:
        backend.run(
            "creating the health TTL index",
            lambda: backend.collection("health").create_index(
                [("at", 1)], expireAfterSeconds=ttl, name="health_ttl"
            ),
        )
    except StoreError:  # not supported (FerretDB v1), or another retention already set
        return False
    return True
