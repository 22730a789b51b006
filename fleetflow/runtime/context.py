"""Process-wide handles a flow run needs: settings, the state store, the repo cache.

Opened lazily once per process (a worker runs many flow runs) and passed
down explicitly from the flow; nothing below the flows reaches for globals.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from urllib.parse import urlsplit

from fleetflow.git import RepoCache
from fleetflow.settings import Settings, load_settings
from fleetflow.store import StateStore, open_store

_lock = threading.Lock()


@lru_cache(maxsize=1)
def settings() -> Settings:
    """Settings from ``FLEETFLOW_*`` (read once per process)."""
    return load_settings()


@lru_cache(maxsize=1)
def _store() -> StateStore:
    s = settings()
    url = s.store_url.get_secret_value() if s.store_url else None
    database = urlsplit(url).path.strip("/") if url and url.startswith("mongodb") else ""
    return open_store(url, embedded_path=s.embedded_store_path, database=database or "fleetflow")


def store() -> StateStore:
    """The state store named by the settings (embedded when no URL is set).

    The database is the URL's path (``mongodb://host/fleet``), default ``fleetflow``.
    """
    with _lock:
        return _store()


@lru_cache(maxsize=1)
def repo_cache() -> RepoCache:
    """The git cache under the settings' repo cache dir."""
    return RepoCache(settings().resolved_repo_cache)


def reset() -> None:
    """Forget cached handles (tests that change ``FLEETFLOW_*`` between runs)."""
    settings.cache_clear()
    _store.cache_clear()
    repo_cache.cache_clear()
