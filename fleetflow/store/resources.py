"""Resources: one document per revision, so a stale writer fails instead of overwriting.

Each write inserts ``kind:revision:name`` as ``_id``. The DB's unique ``_id``
makes two writers of the same next revision collide, atomically, on every
backend (FerretDB v1 conditional updates are not atomic; montydb has no unique
indexes). A delete writes a tombstone revision. Old revisions are pruned.
"""

from __future__ import annotations

from typing import Any

from fleetflow.errors import StaleWriteError, StoreError
from fleetflow.store._base import StoreBase
from fleetflow.store.backend import DuplicateKey
from fleetflow.store.codec import decode, encode, from_db, to_db, utcnow
from fleetflow.store.models import ResourceRecord

KEEP_REVISIONS = 10
_COLL = "resources"


def _record(doc: dict[str, Any]) -> ResourceRecord:
    return ResourceRecord(
        kind=doc["kind"],
        name=doc["name"],
        revision=doc["revision"],
        config=decode(doc["config"]),
        commit=doc["commit"],
        updated=from_db(doc["updated"]),
    )


class ResourcesMixin(StoreBase):
    """Applied resource configs with revision checks."""

    def _latest_revision_doc(self, kind: str, name: str) -> dict[str, Any] | None:
        docs = self._find(
            f"reading {kind} {name!r}", _COLL, {"kind": kind, "name": name}, sort=[("revision", -1)], limit=1
        )
        return docs[0] if docs else None

    def current_revision(self, kind: str, name: str) -> int:
        """The resource's latest revision (a delete counts), 0 if it never existed."""
        doc = self._latest_revision_doc(kind, name)
        return 0 if doc is None else int(doc["revision"])

    def _write_revision(
        self, kind: str, name: str, config: dict[str, Any] | None, commit: str, expected: int | None
    ) -> int:
        if not kind or ":" in kind:
            raise StoreError(f"resource kind {kind!r} must be non-empty and contain no ':'")
        latest = self._latest_revision_doc(kind, name)
        current = 0 if latest is None else int(latest["revision"])
        absent = latest is None or latest.get("deleted", False)
        if expected is not None and expected != current and not (expected == 0 and absent):
            raise StaleWriteError(
                f"{kind} {name!r} is at revision {current}, not {expected}",
                hint="Another writer changed it: re-read the resource and apply the change again.",
            )
        revision = current + 1
        doc = {
            "_id": f"{kind}:{revision}:{name}",
            "kind": kind,
            "name": name,
            "revision": revision,
            "config": encode(config or {}),
            "commit": commit,
            "deleted": config is None,
            "updated": to_db(utcnow()),
        }
        try:
            self._backend.insert(f"writing {kind} {name!r}", _COLL, doc)
        except DuplicateKey as exc:
            raise StaleWriteError(
                f"{kind} {name!r} revision {revision} was written concurrently by another writer",
                hint="Re-read the resource and apply the change again.",
            ) from exc
        if revision > KEEP_REVISIONS:
            self._delete(
                f"pruning old revisions of {kind} {name!r}",
                _COLL,
                {"kind": kind, "name": name, "revision": {"$lte": revision - KEEP_REVISIONS}},
                many=True,
            )
        return revision

    def put_resource(
        self, kind: str, name: str, config: dict[str, Any], commit: str, expected_revision: int | None
    ) -> int:
        """Write a resource's config; return its new revision.

        ``expected_revision``: the revision the caller read (0: "does not exist");
        None skips the check. Raises :class:`StaleWriteError` when it moved on.
        """
        return self._write_revision(kind, name, config, commit, expected_revision)

    def get_resource(self, kind: str, name: str) -> ResourceRecord | None:
        """The resource's current config, or None when absent or deleted."""
        doc = self._latest_revision_doc(kind, name)
        return None if doc is None or doc.get("deleted") else _record(doc)

    def list_resources(self, kind: str) -> list[ResourceRecord]:
        """Every live resource of ``kind``, by name."""
        latest: dict[str, dict[str, Any]] = {}
        for doc in self._find(f"listing {kind} resources", _COLL, {"kind": kind}):
            seen = latest.get(doc["name"])
            if seen is None or doc["revision"] > seen["revision"]:
                latest[doc["name"]] = doc
        return [_record(d) for _, d in sorted(latest.items()) if not d.get("deleted")]

    def delete_resource(
        self, kind: str, name: str, *, commit: str = "", expected_revision: int | None = None
    ) -> bool:
        """Delete a resource (a tombstone revision); False when it was not there."""
        latest = self._latest_revision_doc(kind, name)
        if latest is None or latest.get("deleted"):
            return False
        self._write_revision(kind, name, None, commit, expected_revision)
        return True
