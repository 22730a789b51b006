"""Which stacks a ``fleetflow validate`` run covers: by name or by run directory, and by server."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from fleetflow.errors import ConfigError
from fleetflow.resources import Desired
from fleetflow.resources.sources import normalize


def is_repo_root(path: Path) -> bool:
    """A directory holding resource files (``syncs/``) or a git checkout."""
    return path.is_dir() and ((path / "syncs").is_dir() or (path / ".git").exists())


def find_root(start: Path) -> Path:
    """``start`` or its nearest parent that is a repository root (else ``start``)."""
    start = start.resolve()
    for candidate in (start, *start.parents):
        if is_repo_root(candidate):
            return candidate
    return start


def _as_repo_path(selector: str, root: Path) -> str | None:
    local = Path(selector)
    if local.exists():
        rel = os.path.relpath(local.resolve(), root)
        return normalize(rel.replace(os.sep, "/"))
    return normalize(selector.rstrip("/"))


def select_stacks(
    desired: Desired, root: Path, selectors: Sequence[str], server: str | None = None
) -> set[str]:
    """Stacks named by ``selectors`` (a stack name or its run directory), all when empty;
    only those on ``server`` when given. ``ConfigError`` names an unknown selector or server."""
    stacks = {n: s for n, s in desired.stacks.items() if not s.template}
    if server is not None and server not in desired.resources.servers:
        known = ", ".join(sorted(desired.resources.servers)) or "none"
        raise ConfigError(f"server {server!r} is not defined (servers: {known})")
    chosen: set[str] = set()
    for selector in selectors:
        if selector in stacks:
            chosen.add(selector)
            continue
        rel = _as_repo_path(selector, root)
        matched = {n for n, s in stacks.items() if normalize(s.config.run_directory.strip("/")) == rel}
        if not matched:
            raise ConfigError(
                f"{selector!r} is neither a stack name nor the run_directory of a stack in {root}",
                hint="Pass a stack name or a folder such as stacks/applications/homepage.",
            )
        chosen |= matched
    if not selectors:
        chosen = set(stacks)
    if server is not None:
        chosen = {n for n in chosen if stacks[n].config.server == server}
    return chosen
