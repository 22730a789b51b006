"""The state store: one object, explicit methods per idea, any backend.

``open_store("mongodb://…")`` talks to MongoDB or FerretDB through pymongo;
``open_store()`` (or ``"embedded"``) opens montydb on SQLite files, which needs
no server. What a backend lacks (indexes, TTL, ``$group``/``$first``,
thread-safety) is made up for inside the store, so callers see one behaviour.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from types import TracebackType

from fleetflow.store.backend import Backend, connect_embedded, connect_mongo
from fleetflow.store.codec import contains
from fleetflow.store.deploys import DeploysMixin
from fleetflow.store.leases import LeasesMixin
from fleetflow.store.models import BackendKind
from fleetflow.store.ops import OpsMixin
from fleetflow.store.private import make_private, private_files
from fleetflow.store.resources import ResourcesMixin
from fleetflow.store.runs import RunsMixin
from fleetflow.store.schema import ensure_indexes, ensure_schema


class StateStore(ResourcesMixin, RunsMixin, DeploysMixin, LeasesMixin, OpsMixin):
    """fleetflow's state: resources, sync runs, deploys, cursors, health, alerts, webhooks,
    leases, tokens and audit. Use as a context manager, or call :meth:`close`."""

    def __init__(self, backend: Backend, *, health_retention: timedelta = timedelta(days=7)) -> None:
        super().__init__(backend)
        self._health_retention = health_retention
        self.schema_version = ensure_schema(backend)
        self._health_ttl_index = ensure_indexes(backend, health_retention)
        if not self._health_ttl_index:
            self.purge_health(health_retention)

    @property
    def kind(self) -> BackendKind:
        """Which database is behind this store."""
        return self._backend.kind

    @property
    def where(self) -> str:
        """The URL (password masked) or directory of the database."""
        return self._backend.where

    def contains_text(self, value: str) -> bool:
        """Whether ``value`` occurs anywhere in any collection (keys included): the secrets check."""
        if not value:
            raise ValueError("contains_text needs a non-empty value")
        for name in self._backend.collection_names():
            for doc in self._find(f"scanning {name}", name, {}):
                if contains(doc, value):
                    return True
        return False

    def drop_everything(self) -> None:
        """Delete the whole database (tests and benchmarks)."""
        self._backend.drop_database()

    def close(self) -> None:
        """Close the connection."""
        self._backend.close()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def open_store(
    url: str | None = None,
    *,
    embedded_path: Path | None = None,
    database: str = "fleetflow",
    timeout_s: float = 5.0,
    attempts: int = 3,
    health_retention: timedelta = timedelta(days=7),
) -> StateStore:
    """Open the state store.

    ``url``: ``mongodb://…`` (MongoDB or FerretDB), or None / "" / ``"embedded"``
    for montydb on SQLite under ``embedded_path`` (default: the settings'
    ``home/state``). ``timeout_s`` bounds each connection attempt and
    ``attempts`` the retries of transient failures.
    """
    if not url or url == "embedded":
        if embedded_path is None:
            from fleetflow.settings import load_settings

            embedded_path = load_settings().embedded_store_path
        with private_files():  # collections are created here: 0600 files in 0700 folders
            backend = connect_embedded(embedded_path, database, attempts=attempts)
            try:
                return StateStore(backend, health_retention=health_retention)
            except BaseException:
                backend.close()
                raise
            finally:
                make_private(embedded_path)
    backend = connect_mongo(url, database, timeout_s=timeout_s, attempts=attempts)
    try:
        return StateStore(backend, health_retention=health_retention)
    except BaseException:
        backend.close()
        raise
