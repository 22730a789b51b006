"""Where dumps live: ``<root>/<YYYY-MM-DDTHHMMSSZ>/<db>/<coll>.bson.gz``, and how to find complete ones.

A dump is written under a hidden ``.partial`` name and renamed to its timestamp
only when complete, so a folder named like a timestamp that holds
``MANIFEST.sha256`` is a finished dump.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

STAMP_FORMAT = "%Y-%m-%dT%H%M%SZ"
STAMP_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{6}Z$")
MANIFEST_NAME = "MANIFEST.sha256"
SUMMARY_NAME = "dump.json"
PARTIAL_PREFIX = ".partial-"
DELETING_PREFIX = ".deleting-"
BSON_SUFFIX = ".bson.gz"
METADATA_SUFFIX = ".metadata.json.gz"


def as_utc(moment: datetime) -> datetime:
    """An aware UTC datetime, whole seconds (naive input is taken as UTC)."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.replace(microsecond=0)


def format_stamp(moment: datetime) -> str:
    """Folder name of a dump taken at ``moment``."""
    return as_utc(moment).strftime(STAMP_FORMAT)


def parse_stamp(name: str) -> datetime | None:
    """The timestamp a dump folder is named after, or None if the name is not one."""
    if not STAMP_PATTERN.match(name):
        return None
    try:
        return datetime.strptime(name, STAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


@dataclass(frozen=True)
class DumpDir:
    """A complete dump folder on disk."""

    path: Path
    taken_at: datetime


def list_dumps(root: Path) -> list[DumpDir]:
    """Complete dumps under ``root``, oldest first (partial and foreign folders are ignored)."""
    if not root.is_dir():
        return []
    found = []
    for entry in root.iterdir():
        taken_at = parse_stamp(entry.name)
        if taken_at is not None and entry.is_dir() and (entry / MANIFEST_NAME).is_file():
            found.append(DumpDir(entry, taken_at))
    return sorted(found, key=lambda d: d.taken_at)
