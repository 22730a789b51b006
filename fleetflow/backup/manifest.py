"""``MANIFEST.sha256``: one ``<sha256>  <relative path>`` line per file (``sha256sum -c`` reads it)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from fleetflow.backup.layout import MANIFEST_NAME
from fleetflow.errors import BackupError

_CHUNK = 1 << 20


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST_NAME)


def write_manifest(folder: Path) -> Path:
    """Checksum every file under ``folder`` into ``folder/MANIFEST.sha256``; returns its path."""
    lines = [f"{file_sha256(p)}  {p.relative_to(folder).as_posix()}\n" for p in _files(folder)]
    target = folder / MANIFEST_NAME
    target.write_text("".join(lines), encoding="utf-8")
    return target


def verify_manifest(folder: Path) -> int:
    """Check every file listed in the manifest (and that none is missing or extra); returns the count.

    Raises BackupError naming the first files that do not match.
    """
    manifest = folder / MANIFEST_NAME
    if not manifest.is_file():
        raise BackupError(f"{folder} has no {MANIFEST_NAME}", hint="it is not a complete dump")
    expected: dict[str, str] = {}
    for number, line in enumerate(manifest.read_text(encoding="utf-8").splitlines(), start=1):
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64:
            raise BackupError(f"{manifest}:{number}: not a `<sha256>  <path>` line")
        expected[name] = digest
    actual = {p.relative_to(folder).as_posix(): p for p in _files(folder)}
    problems = [f"missing {n}" for n in sorted(expected.keys() - actual.keys())]
    problems += [f"unlisted {n}" for n in sorted(actual.keys() - expected.keys())]
    problems += [
        f"checksum mismatch {n}"
        for n in sorted(expected.keys() & actual.keys())
        if file_sha256(actual[n]) != expected[n]
    ]
    if problems:
        shown = "; ".join(problems[:5]) + (f" (+{len(problems) - 5} more)" if len(problems) > 5 else "")
        raise BackupError(f"dump {folder} fails its manifest: {shown}", hint="restore from another dump")
    return len(expected)
