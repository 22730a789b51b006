"""How values cross into the DB: UTC times at millisecond precision, safe keys.

BSON keeps milliseconds and (by default) naive datetimes; montydb cannot even
compare aware with naive ones. So the store hands the DB naive UTC datetimes
and gives callers aware UTC ones. Free-form dicts (configs, facts, plans) may
carry keys MongoDB-compatible servers refuse (``.`` anywhere, ``$`` first);
those characters (and ``%``) are percent-escaped on the way in and restored on
the way out.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, overload
from urllib.parse import unquote


def utcnow() -> datetime:
    """Now, aware UTC, truncated to what BSON keeps (milliseconds)."""
    return truncate(datetime.now(UTC))


def truncate(moment: datetime) -> datetime:
    """``moment`` as aware UTC at millisecond precision (naive means UTC)."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.replace(microsecond=aware.microsecond // 1000 * 1000)


def to_db(moment: datetime) -> datetime:
    """A datetime as the DB stores it: naive UTC, millisecond precision."""
    return truncate(moment).replace(tzinfo=None)


@overload
def from_db(moment: datetime) -> datetime: ...
@overload
def from_db(moment: None) -> None: ...
def from_db(moment: datetime | None) -> datetime | None:
    """A datetime read back from the DB, as aware UTC."""
    return None if moment is None else truncate(moment)


def _key_in(key: str) -> str:
    key = key.replace("%", "%25").replace(".", "%2E")
    return "%24" + key[1:] if key.startswith("$") else key


def _key_out(key: str) -> str:
    return unquote(key) if "%" in key else key


def encode(value: Any) -> Any:
    """``value`` with every dict key made safe for the DB (recursively)."""
    if isinstance(value, dict):
        return {_key_in(str(k)): encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    if isinstance(value, datetime):
        return to_db(value)
    return value


def decode(value: Any) -> Any:
    """Undo :func:`encode` on a value read from the DB."""
    if isinstance(value, dict):
        return {_key_out(k): decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, datetime):
        return from_db(value)
    return value


def contains(value: Any, needle: str) -> bool:
    """Whether ``needle`` occurs in any key or scalar anywhere inside ``value``."""
    if isinstance(value, dict):
        return any(needle in str(k) or contains(v, needle) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(contains(v, needle) for v in value)
    if isinstance(value, bytes):
        return needle.encode() in value
    return needle in str(value)
