"""Confinement of repository-named paths: the one check every read, write and delete goes through.

A path that comes from a repository (``run_directory``, ``file_paths``, ``env_file_path``,
``additional_env_files``, ``config_files``, hook paths, files shipped to a host) is
untrusted input. :func:`confine` turns it into an absolute path under an allowed root
(the repository checkout, or the stack's directory on the host) or raises
:class:`PathEscape`. It checks twice: lexically (no absolute path, no ``..`` that
climbs out) and, on this machine, after symlink resolution. Remote hosts repeat the
second check on the host itself (``realpath -m``, see :mod:`fleetflow.hosts.ssh`).

Deletes never follow the last component: :func:`confine` with ``follow_last=False``
resolves the parent directory only, so removing a symlink removes the link.
"""

from __future__ import annotations

import os
import posixpath

from fleetflow.errors import FleetflowError


class PathEscape(FleetflowError):
    """A repository-named path leaves the directory it must stay in."""

    def __init__(self, purpose: str, value: str, root: str, why: str) -> None:
        super().__init__(
            f"{purpose} = {value!r} {why} {root}",
            hint="Use a path relative to that directory, inside it, with no symlink pointing out of it.",
        )
        self.purpose = purpose
        self.value = value


def lexical(relative: str) -> str | None:
    """``relative`` normalised ('' for the root itself), or None when absolute or climbing out."""
    if any(ord(c) < 32 for c in relative) or relative.startswith(("/", "\\", "~")):
        return None
    clean = posixpath.normpath(relative) if relative else "."
    if clean == ".." or clean.startswith("../"):
        return None
    return "" if clean == "." else clean


def within(root: str, path: str) -> bool:
    """Whether absolute ``path`` is ``root`` or below it (both normalised, no symlinks followed)."""
    root, path = posixpath.normpath(root), posixpath.normpath(path)
    return path == root or path.startswith(root.rstrip("/") + "/")


def confine(
    root: str | os.PathLike[str],
    relative: str,
    *,
    purpose: str,
    local: bool = True,
    follow_last: bool = True,
) -> str:
    """The absolute path of ``relative`` under ``root``, or :class:`PathEscape` naming ``purpose``.

    ``purpose`` names the stack and field (``"stack web: env_file_path"``). With ``local``
    (``root`` is on this machine) the path is also checked after symlink resolution; with
    ``follow_last=False`` (deletes, renames) only its parent directory is resolved.
    """
    base = posixpath.normpath(os.fspath(root))
    clean = lexical(relative)
    if clean is None:
        raise PathEscape(purpose, relative, base, "is absolute or climbs out of")
    target = posixpath.join(base, clean) if clean else base
    if local:
        real_root = os.path.realpath(base)
        if follow_last or target == base:
            real = os.path.realpath(target)
        else:
            real = posixpath.join(os.path.realpath(posixpath.dirname(target)), posixpath.basename(target))
        if not within(real_root, real):
            raise PathEscape(purpose, relative, base, "resolves (through a symlink) outside")
    return target


def confine_absolute(
    root: str | os.PathLike[str], path: str, *, purpose: str, local: bool = True, follow_last: bool = True
) -> str:
    """:func:`confine` for an already joined absolute ``path`` that must lie under ``root``."""
    base = posixpath.normpath(os.fspath(root))
    norm = posixpath.normpath(path)
    if not posixpath.isabs(norm) or not within(base, norm):
        raise PathEscape(purpose, path, base, "is not inside")
    relative = posixpath.relpath(norm, base)
    return confine(base, relative, purpose=purpose, local=local, follow_last=follow_last)
