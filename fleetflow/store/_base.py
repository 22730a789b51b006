"""What every part of the store shares: the backend and small document helpers."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from fleetflow.store.backend import Backend


def new_id() -> str:
    """A fresh random document id."""
    return uuid.uuid4().hex


def pairs(mapping: dict[str, Any]) -> list[dict[str, Any]]:
    """A dict with caller-chosen keys, stored as a list so any key is safe."""
    return [{"k": k, "v": v} for k, v in mapping.items()]


def unpairs(items: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Undo :func:`pairs`."""
    return {item["k"]: item["v"] for item in items}


def strip_id(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` without the DB's ``_id``."""
    return {k: v for k, v in doc.items() if k != "_id"}


class StoreBase:
    """Holds the backend; the per-idea mixins build on its helpers."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    def _find_one(
        self, what: str, collection: str, query: dict[str, Any], **kw: Any
    ) -> dict[str, Any] | None:
        coll = self._backend.collection(collection)
        doc: dict[str, Any] | None = self._backend.run(what, lambda: coll.find_one(query, **kw))
        return doc

    def _find(
        self,
        what: str,
        collection: str,
        query: dict[str, Any],
        *,
        sort: list[tuple[str, int]] | None = None,
        limit: int = 0,
        projection: dict[str, int] | None = None,
    ) -> list[dict[str, Any]]:
        coll = self._backend.collection(collection)

        def fetch() -> list[dict[str, Any]]:
            cursor = coll.find(query, projection) if projection else coll.find(query)
            if sort:
                cursor = cursor.sort(sort)
            if limit:
                cursor = cursor.limit(limit)
            return list(cursor)

        return self._backend.run(what, fetch)

    def _update(self, what: str, collection: str, query: dict[str, Any], update: dict[str, Any]) -> int:
        """``update_one``; return how many documents matched."""
        coll = self._backend.collection(collection)
        return int(self._backend.run(what, lambda: coll.update_one(query, update)).matched_count)

    def _replace(self, what: str, collection: str, doc: dict[str, Any]) -> None:
        """Write ``doc`` over the one with its ``_id`` (inserting if absent)."""
        coll = self._backend.collection(collection)
        self._backend.run(what, lambda: coll.replace_one({"_id": doc["_id"]}, doc, upsert=True))

    def _delete(self, what: str, collection: str, query: dict[str, Any], *, many: bool = False) -> int:
        coll = self._backend.collection(collection)
        op = coll.delete_many if many else coll.delete_one
        return int(self._backend.run(what, lambda: op(query)).deleted_count)
