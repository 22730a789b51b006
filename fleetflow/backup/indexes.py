"""Recreate a collection's indexes from dump metadata, dropping options the target server refuses.

``v`` (the server picks the version) and ``ns`` (the legacy source namespace, which
FerretDB refuses) are never sent. When the server refuses another option by name,
that option is dropped from the index and the index created without it; every
drop is reported as ``<collection>.<index>: <option>``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pymongo.database import Database
from pymongo.errors import OperationFailure

from fleetflow.backup.mongo_format import LEGACY_INDEX_OPTIONS

# FerretDB: `Index option "ns" is unknown` / `... is not implemented yet`;
# MongoDB: `The field 'foo' is not valid for an index specification`.
_REFUSED = (
    re.compile(r"""[Ii]ndex option ["'](?P<option>[\w.$]+)["'] is (?:unknown|not implemented)"""),
    re.compile(r"""[Tt]he field ["'](?P<option>[\w.$]+)["'] is not valid for an index specification"""),
)
_KEEP = frozenset({"key", "name"})


@dataclass(frozen=True)
class IndexOutcome:
    """Indexes created and the options dropped on the way."""

    created: int
    dropped: tuple[str, ...]


def refused_option(exc: OperationFailure) -> str | None:
    """The index option a server error names as refused, or None for any other failure."""
    message = str((exc.details or {}).get("errmsg") or exc)
    for pattern in _REFUSED:
        if match := pattern.search(message):
            return match.group("option")
    return None


def _create_one(db: Database[Any], collection: str, spec: dict[str, Any]) -> list[str]:
    """Create one index, dropping refused options (at most once each); the options dropped."""
    dropped: list[str] = []
    while True:
        try:
            db.command({"createIndexes": collection, "indexes": [spec]})
            return dropped
        except OperationFailure as exc:
            option = refused_option(exc)
            if option is None or option in _KEEP or option not in spec:
                raise
            spec = {k: v for k, v in spec.items() if k != option}
            dropped.append(option)


def restore_indexes(db: Database[Any], collection: str, meta: Mapping[str, Any]) -> IndexOutcome:
    """Create every index of ``meta`` but ``_id_`` on ``collection``; report options dropped."""
    created = 0
    dropped: list[str] = []
    for index in meta.get("indexes", []):
        if index.get("name") == "_id_":
            continue
        name = str(index.get("name"))
        legacy = [k for k in index if k in LEGACY_INDEX_OPTIONS and k != "v"]
        dropped += [f"{collection}.{name}: {k}" for k in legacy]
        spec = {k: v for k, v in index.items() if k not in LEGACY_INDEX_OPTIONS}
        dropped += [f"{collection}.{name}: {k}" for k in _create_one(db, collection, spec)]
        created += 1
    return IndexOutcome(created=created, dropped=tuple(dropped))
