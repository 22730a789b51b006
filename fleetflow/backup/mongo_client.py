"""Open a MongoDB client for backups, converting pymongo errors with the URL masked."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pymongo import MongoClient
from pymongo.errors import ConfigurationError, InvalidURI, PyMongoError

from fleetflow.backup.redact import mask_url
from fleetflow.errors import BackupError, ComponentUnavailable, ConfigError

SERVER_TIMEOUT_MS = 5000


@contextmanager
def mongo_client(url: str) -> Iterator[MongoClient[Any]]:
    """A connected client (pinged), closed on exit; errors name the masked URL."""
    where = mask_url(url)
    try:
        client: MongoClient[Any] = MongoClient(
            url, serverSelectionTimeoutMS=SERVER_TIMEOUT_MS, connectTimeoutMS=SERVER_TIMEOUT_MS
        )
    except (InvalidURI, ConfigurationError, ValueError) as exc:
        raise ConfigError(f"bad MongoDB URL {where}: {mask_url(str(exc))}") from exc
    try:
        try:
            client.admin.command("ping")
        except PyMongoError as exc:
            raise ComponentUnavailable(
                f"MongoDB at {where} cannot be reached: {type(exc).__name__}",
                hint="check that the server runs and the URL is right",
            ) from exc
        yield client
    finally:
        client.close()


def mongo_failure(action: str, url: str, exc: PyMongoError) -> BackupError:
    """A BackupError for a failed Mongo operation, without credentials."""
    return BackupError(f"{action} on {mask_url(url)} failed: {mask_url(str(exc))}")
