"""The embedded store's files are private: 0600 files in 0700 folders, created that way.

Token hashes, the audit trail and deploy history live there. Creation runs under a 077
umask (process-wide, so only ever narrower for anything created meanwhile); stores made
before this are tightened when opened.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

_LOCK = threading.Lock()


@contextlib.contextmanager
def private_files() -> Iterator[None]:
    """Files and folders created in the block are readable by their owner only."""
    with _LOCK:
        previous = os.umask(0o077)
        try:
            yield
        finally:
            os.umask(previous)


def make_private(root: Path) -> None:
    """chmod 0700 every folder and 0600 every file under ``root`` (itself included)."""
    if not root.is_dir():
        return
    with contextlib.suppress(OSError):
        root.chmod(0o700)
    for path in root.rglob("*"):
        if path.is_symlink():
            continue
        with contextlib.suppress(OSError):
            path.chmod(0o700 if path.is_dir() else 0o600)
