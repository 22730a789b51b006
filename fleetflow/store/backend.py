"""The database behind the store: pymongo (MongoDB, FerretDB) or montydb on SQLite.

This is the adapter edge: every library error becomes a fleetflow error here.
Transient failures (lost connection, busy SQLite file) are retried with
exponential backoff a bounded number of times, then raise
:class:`StoreUnavailable` naming the URL (password masked) and what to check.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import montydb
import montydb.errors
import pymongo
import pymongo.errors

from fleetflow.errors import ConfigError, StoreError, StoreUnavailable
from fleetflow.store.models import BackendKind

T = TypeVar("T")

_DUPLICATE = (pymongo.errors.DuplicateKeyError, montydb.errors.DuplicateKeyError)
_TRANSIENT = (pymongo.errors.ConnectionFailure, sqlite3.OperationalError, OSError)
_REFUSED = (pymongo.errors.PyMongoError, montydb.errors.MontyError, sqlite3.Error)


class DuplicateKey(StoreError):
    """A document with that unique key exists already (the store turns this into meaning)."""


def mask_url(url: str) -> str:
    """``url`` with its password (if any) replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    userinfo, _, hostinfo = parts.netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{hostinfo}"))


@dataclass
class Backend:
    """One open database plus the rules for calling it safely."""

    db: Any
    client: Any
    kind: BackendKind
    where: str
    secret: str = ""
    attempts: int = 3
    backoff_s: float = 0.2
    lock: AbstractContextManager[Any] = field(default_factory=nullcontext)

    def collection(self, name: str) -> Any:
        """A raw collection (for the store's modules only)."""
        return self.db[name]

    def _scrub(self, exc: BaseException) -> str:
        text = f"{type(exc).__name__}: {exc}"
        return text.replace(self.secret, "***") if self.secret else text

    def _hint(self) -> str:
        if self.kind is BackendKind.EMBEDDED:
            return f"Check that {self.where} exists, is writable and is not on a full disk."
        return (
            "Check that the database server at that address is running and reachable from here, "
            "and the host, port and credentials in FLEETFLOW_STORE_URL."
        )

    def run(self, what: str, op: Callable[[], T], *, already_done: Callable[[], bool] | None = None) -> T:
        """Call ``op``; retry transient failures; convert errors.

        ``already_done`` answers, after a retry hit a duplicate key, whether the
        first (unacknowledged) attempt in fact landed: then the write counts.
        """
        last: BaseException | None = None
        for attempt in range(1, self.attempts + 1):
            try:
                with self.lock:
                    return op()
            except _DUPLICATE as exc:
                if attempt > 1 and already_done is not None and already_done():
                    return None  # type: ignore[return-value]  # only writes pass already_done
                raise DuplicateKey(f"{what}: duplicate key in state DB {self.where}") from exc
            except _TRANSIENT as exc:
                last = exc
                if attempt < self.attempts:
                    time.sleep(self.backoff_s * 2 ** (attempt - 1))
            except _REFUSED as exc:
                raise StoreError(f"state DB {self.where} refused {what}: {self._scrub(exc)}") from exc
        assert last is not None
        raise StoreUnavailable(
            f"state DB {self.where} unreachable while {what} ({self.attempts} attempts): {self._scrub(last)}",
            hint=self._hint(),
        ) from last

    def insert(self, what: str, collection: str, doc: dict[str, Any]) -> None:
        """Insert ``doc`` (which must carry its ``_id``), safe to retry."""
        coll = self.collection(collection)

        def landed() -> bool:
            with self.lock:
                return bool(coll.find_one({"_id": doc["_id"]}) == doc)

        self.run(what, lambda: coll.insert_one(dict(doc)), already_done=landed)

    def collection_names(self) -> list[str]:
        """Every collection of the store's database."""
        return sorted(self.run("listing collections", self.db.list_collection_names))

    def drop_database(self) -> None:
        """Delete everything (tests and benchmarks only)."""
        self.run("dropping the database", lambda: self.client.drop_database(self.db.name))

    def close(self) -> None:
        """Close the client (idempotent)."""
        self.client.close()


def connect_mongo(url: str, database: str, *, timeout_s: float, attempts: int) -> Backend:
    """Open ``url`` with pymongo, check it answers, and detect FerretDB."""
    masked = mask_url(url)
    if not url.startswith(("mongodb://", "mongodb+srv://")):
        raise ConfigError(
            f"state DB URL {masked!r} is not a MongoDB URL",
            hint="Use mongodb://host:port/ or leave FLEETFLOW_STORE_URL empty for the embedded store.",
        )
    ms = int(timeout_s * 1000)
    try:
        client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
            url,
            serverSelectionTimeoutMS=ms,
            connectTimeoutMS=ms,
            socketTimeoutMS=max(ms * 6, 30_000),
            w=1,
            retryWrites=False,
            appname="fleetflow",
        )
    except pymongo.errors.ConfigurationError as exc:
        raise ConfigError(f"state DB URL {masked!r} is invalid: {type(exc).__name__}") from exc
    backend = Backend(
        db=client[database],
        client=client,
        kind=BackendKind.MONGODB,
        where=masked,
        secret=urlsplit(url).password or "",
        attempts=attempts,
    )
    info = backend.run("connecting", lambda: client.admin.command("buildInfo"))
    if "ferretdbVersion" in info:
        backend.kind = BackendKind.FERRETDB
    return backend


def connect_embedded(path: Path, database: str, *, attempts: int) -> Backend:
    """Open (creating if needed) the montydb store on SQLite under ``path``."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        if not (path / "monty.storage.cfg").exists():
            montydb.set_storage(str(path), storage="sqlite", use_bson=True)
        client = montydb.MontyClient(str(path))
    except (OSError, montydb.errors.MontyError) as exc:
        raise StoreUnavailable(
            f"embedded state store at {path} cannot be opened: {type(exc).__name__}: {exc}",
            hint=f"Check that {path} is writable, or set FLEETFLOW_STORE_URL to a MongoDB URL.",
        ) from exc
    # montydb's SQLite engine shares one connection slot between threads: serialize calls.
    return Backend(
        db=client[database],
        client=client,
        kind=BackendKind.EMBEDDED,
        where=str(path),
        attempts=attempts,
        lock=threading.RLock(),
    )
