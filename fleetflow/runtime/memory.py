"""Keep a long-lived process's resident memory near what it uses.

A warm process's flow runs allocate and free a lot; glibc keeps freed memory
mapped (and one heap arena per busy thread), so the RSS of an idle ``serve``
or agent stays at its peak. ``limit_arenas`` caps the arenas for threads
started later; ``release`` hands free heap pages back to the OS after a run
(both glibc only; elsewhere no-ops). ``settle`` moves what start-up loaded
out of the garbage collector's sight, so ``collect`` after a run only walks
what runs made.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc

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


def settle() -> None:
    """Freeze the objects alive now (modules, flows, clients): later collections skip them."""
    gc.collect()
    gc.freeze()


def collect() -> None:
    """Collect the garbage runs left (cycles included) and return free heap to the OS."""
    gc.collect()
    release()
