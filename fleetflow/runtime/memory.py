"""Keep a long-lived process's resident memory near what it uses (glibc only; elsewhere a no-op).

A warm process's flow runs allocate and free a lot; glibc keeps freed memory
mapped (and one heap arena per busy thread), so the RSS of an idle ``serve``
or agent stays at its peak. ``limit_arenas`` caps the arenas for threads
started later; ``release`` hands free heap pages back to the OS after a run.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

M_ARENA_MAX = -8
ARENAS = 2


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        libc = ctypes.CDLL(name)
    except OSError:
        return None
    return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None


def limit_arenas(arenas: int = ARENAS) -> bool:
    """Cap glibc's malloc arenas (threads share them); True when applied."""
    libc = _glibc()
    return bool(libc and libc.mallopt(M_ARENA_MAX, arenas))


def release() -> bool:
    """Return free heap memory to the OS; True when some was released."""
    libc = _glibc()
    return bool(libc and libc.malloc_trim(0))
