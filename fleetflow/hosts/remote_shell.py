"""The ``sh -s`` script a remote command runs as, its stderr markers, and safe remote paths.

The script reports its process group first (so a timeout can kill the whole
remote group), exports the environment (values never appear on a command
line), checks the program exists and ``exec``s it with stdin closed.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath

from fleetflow.errors import ConfigError, FleetflowError

_MARK = "__fleetflow_"
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def remote_script(argv: Sequence[str], env: Mapping[str, str], cwd: str | None) -> str:
    """The ``sh -s`` script: report the process group, cd, export env, exec ``argv`` (all quoted)."""
    if not argv:
        raise ValueError("empty argv")
    lines = [
        "read -r _ _ _ _ ff_pg _ < /proc/$$/stat 2>/dev/null || ff_pg=$$",
        f'printf "{_MARK}pgid=%s\\n" "$ff_pg" >&2',
    ]
    if cwd:
        lines.append(f"cd -- {shlex.quote(cwd)} || {{ echo {_MARK}failed=cwd >&2; exit 127; }}")
    for key, value in env.items():
        if not _ENV_NAME.fullmatch(key):
            raise ConfigError(f"environment name {key!r} is not a valid shell variable name")
        lines.append(f"export {key}={shlex.quote(value)}")
    prog = shlex.quote(argv[0])
    lines.append(f"command -v {prog} >/dev/null 2>&1 || {{ echo {_MARK}failed=program >&2; exit 127; }}")
    lines.append("exec " + " ".join(shlex.quote(a) for a in argv) + " </dev/null")
    return "\n".join(lines) + "\n"


def parse_markers(line: str, markers: dict[str, str]) -> bool:
    """Record a ``__fleetflow_key=value`` stderr line in ``markers``; False for ordinary output."""
    if not line.startswith(_MARK):
        return False
    key, _, value = line.removeprefix(_MARK).partition("=")
    markers[key] = value
    return True


def safe_relpath(dest_dir: str, rel: str) -> str:
    """``dest_dir/rel``, refusing absolute paths and ``..`` that would leave ``dest_dir``."""
    parts = PurePosixPath(rel).parts
    if not rel or PurePosixPath(rel).is_absolute() or ".." in parts:
        raise FleetflowError(f"path {rel!r} escapes {dest_dir}", hint="use a path relative to the stack dir")
    return posixpath.join(dest_dir, posixpath.normpath(rel))
