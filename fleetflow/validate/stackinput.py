"""What one stack hands to ``docker compose``: its compose files and the environment it interpolates with.

Mirrors the deploy (``fleetflow.deploy.materialize``): compose runs in the
run directory with ``--env-file`` for each additional env file and then the
stack's env file, which fleetflow writes from ``environment`` when that is
set (else the repository's own file, when present). Later files win.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from fleetflow.resources import Stack
from fleetflow.resources.sources import FileSource, normalize
from fleetflow.validate.envfiles import parse_env

INLINE = "<file_contents>"


@dataclass(frozen=True)
class StackInput:
    """A stack's compose files (repo paths), rendered environment, and the files fleetflow writes."""

    name: str
    server: str
    project: str
    run_dir: str
    files: tuple[str, ...]
    env: dict[str, str] = field(repr=False)
    written: frozenset[str] = frozenset()
    """Repo-relative paths that exist on the host because fleetflow writes them (the env file)."""
    inline: str | None = field(default=None, repr=False)
    missing_env_files: tuple[str, ...] = ()


def compose_paths(stack: Stack, source: FileSource) -> tuple[str, ...]:
    """Repo paths of the compose files: ``file_paths``, else the first default name present."""
    cfg = stack.config
    run_dir = cfg.run_directory.strip("/")
    if cfg.file_paths:
        paths = (normalize(posixpath.join(run_dir, f)) for f in cfg.file_paths)
        return tuple(p for p in paths if p is not None and source.exists(p) and not source.is_dir(p))
    for candidate in cfg.compose_candidates:
        path = normalize(posixpath.join(run_dir, candidate))
        if path is not None and source.exists(path) and not source.is_dir(path):
            return (path,)
    return ()


def _read_env(source: FileSource, path: str | None) -> dict[str, str] | None:
    if path is None or not source.exists(path) or source.is_dir(path):
        return None
    try:
        return parse_env(source.read_text(path))
    except (OSError, UnicodeDecodeError):
        return None


def stack_input(stack: Stack, source: FileSource) -> StackInput:
    """The compose input of an interpolated ``stack`` read from ``source``."""
    cfg = stack.config
    run_dir = cfg.run_directory.strip("/")
    env: dict[str, str] = {}
    missing = []
    for extra in cfg.additional_env_files:
        path = normalize(posixpath.join(run_dir, extra.path))
        values = _read_env(source, path)
        if values is None:
            missing.append(extra.path)
        else:
            env.update(values)
    env_path = normalize(posixpath.join(run_dir, cfg.env_file_path))
    written: set[str] = set()
    if cfg.environment:
        env.update(cfg.environment)
        if env_path is not None:
            written.add(env_path)
    else:
        env.update(_read_env(source, env_path) or {})
    inline = cfg.file_contents or None
    files = (posixpath.join(run_dir, "compose.yaml"),) if inline else compose_paths(stack, source)
    return StackInput(
        name=stack.name,
        server=cfg.server,
        project=cfg.project_name or stack.name.lower(),
        run_dir=run_dir,
        files=files,
        env=env,
        written=frozenset(written),
        inline=inline,
        missing_env_files=tuple(missing),
    )
