"""The symlink half of :func:`fleetflow.paths.confine`, done on the host that holds the files.

A local host resolves with :func:`os.path.realpath`; any other host runs
``realpath -m -- PATH...`` there (argv, no shell), one call for a batch of paths.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Sequence

from fleetflow.hosts.base import HostConnection
from fleetflow.hosts.local import LocalHost
from fleetflow.paths import PathEscape, confine, within


async def realpaths(host: HostConnection, paths: Sequence[str]) -> list[str]:
    """Each of ``paths`` with every symlink resolved on ``host`` (missing parts kept as given)."""
    if not paths:
        return []
    if isinstance(host, LocalHost):
        return [os.path.realpath(p) for p in paths]
    result = await host.run(["realpath", "-m", "--", *paths], timeout=60)
    lines = result.stdout.splitlines()
    if len(lines) != len(paths):
        raise PathEscape(
            "paths on " + host.name, ", ".join(paths), "the stacks root", "cannot be resolved in"
        )
    return lines


async def confine_on_host(
    host: HostConnection, root: str, items: Sequence[tuple[str, str, bool]]
) -> list[str]:
    """Absolute paths of ``items`` (purpose, path relative to ``root``, follow_last) on ``host``.

    Each is checked lexically, then after symlink resolution on the host: the path itself
    (reads), or its parent directory (writes and deletes, which never follow the last link).
    """
    if not items:
        return []
    targets = [confine(root, rel, purpose=purpose, local=False) for purpose, rel, _follow in items]
    probes = [
        t if follow or t == root else posixpath.dirname(t)
        for t, (_p, _r, follow) in zip(targets, items, strict=True)
    ]
    resolved = await realpaths(host, [root, *probes])
    real_root, rest = resolved[0], resolved[1:]
    for (purpose, rel, _follow), real in zip(items, rest, strict=True):
        if not within(real_root, real):
            raise PathEscape(purpose, rel, root, "resolves (through a symlink) outside")
    return targets
