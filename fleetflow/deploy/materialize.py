"""Put a stack's files on its host: the stack dir, the env file, and the last-good copy.

Layout on the host, under ``stacks_root``::

    <stack>/                    repo files at their repo-relative paths (+ bind-mount data)
    <stack>/.fleetflow/         manifest.json (files fleetflow wrote), deploy.json, override.yaml
    .good/<stack>/              the same files as of the last good deploy (rollback source)
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from fleetflow.deploy.host_files import host_dir
from fleetflow.deploy.models import DeploySpec
from fleetflow.hosts.base import HostConnection

META_DIR = ".fleetflow"
MANIFEST = f"{META_DIR}/manifest.json"
DEPLOY_META = f"{META_DIR}/deploy.json"
OVERRIDE = f"{META_DIR}/override.yaml"
HOST_ENV = f"{META_DIR}/stack.env"  # the env file of a files_on_host stack (its directory is not ours)
DEFAULT_COMPOSE_FILES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
_PLAIN = re.compile(r"^[A-Za-z0-9_./:@%+,=-]*$")


def render_env(environment: Mapping[str, str]) -> bytes:
    """``KEY=VALUE`` lines in Compose's dotenv syntax, quoting values that need it."""
    lines = []
    for key, value in environment.items():
        if _PLAIN.match(value):
            lines.append(f"{key}={value}")
        elif "'" not in value and "\n" not in value:
            lines.append(f"{key}='{value}'")
        else:
            escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
            lines.append(f'{key}="{escaped}"')
    return ("\n".join(lines) + "\n").encode() if lines else b""


@dataclass(frozen=True)
class Layout:
    """Where one stack's files live on its host and how compose is invoked for it."""

    root: PurePosixPath
    stack: str
    run_directory: str
    compose_files: tuple[str, ...]
    env_files: tuple[str, ...]
    host_dir: str = ""  # files_on_host: the stack's own directory on the host

    @property
    def stack_dir(self) -> str:
        return str(self.root / self.stack)

    @property
    def files_root(self) -> str:
        """What the spec's file paths are relative to on the host."""
        return self.host_dir or self.stack_dir

    @property
    def good_dir(self) -> str:
        return str(self.root / ".good" / self.stack)

    @property
    def cwd(self) -> str:
        return self.host_dir or posixpath.normpath(posixpath.join(self.stack_dir, self.run_directory))

    def rel(self, path: str) -> str:
        """A path relative to the run directory, as a path relative to the stack dir."""
        return posixpath.normpath(posixpath.join(self.run_directory, path))


def layout_for(spec: DeploySpec, root: PurePosixPath) -> Layout:
    """Compose files (given, or the first default present) and env files, for ``spec`` on a host."""
    if spec.files_on_host:
        host = host_dir(spec, root)
        env_files = list(spec.additional_env_files)
        if spec.environment:
            env_files.append(posixpath.join(str(root / spec.stack), HOST_ENV))
        elif posixpath.normpath(spec.env_file_path) in _norm(spec):
            env_files.append(spec.env_file_path)
        return Layout(root, spec.stack, "", spec.file_paths, tuple(env_files), host_dir=host)
    run_dir = spec.run_directory.strip("/")
    files = spec.file_paths
    if not files:
        present = [
            f for f in DEFAULT_COMPOSE_FILES if posixpath.normpath(posixpath.join(run_dir, f)) in _norm(spec)
        ]
        files = tuple(present[:1]) or (DEFAULT_COMPOSE_FILES[0],)
    env_files = list(spec.additional_env_files)
    if spec.environment or posixpath.normpath(posixpath.join(run_dir, spec.env_file_path)) in _norm(spec):
        env_files.append(spec.env_file_path)
    return Layout(root, spec.stack, run_dir, tuple(files), tuple(env_files))


def _norm(spec: DeploySpec) -> set[str]:
    return {posixpath.normpath(p) for p in spec.files}


def planned_files(spec: DeploySpec, layout: Layout) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """(public files, 0600 files) fleetflow writes for ``spec``, relative to the stack dir."""
    if spec.files_on_host:
        return {}, ({HOST_ENV: render_env(spec.environment)} if spec.environment else {})
    public = {posixpath.normpath(p): c for p, c in spec.files.items()}
    private: dict[str, bytes] = {}
    if spec.environment:
        env_rel = layout.rel(spec.env_file_path)
        public.pop(env_rel, None)
        private[env_rel] = render_env(spec.environment)
    return public, private


async def materialize(host: HostConnection, spec: DeploySpec, layout: Layout) -> None:
    """Write the stack's files; drop files fleetflow wrote before that are gone (all, on reclone)."""
    public, private = planned_files(spec, layout)
    if spec.reclone:
        await host.remove(layout.stack_dir)
    else:
        old = await read_manifest(host, layout.stack_dir)
        for stale in sorted(old - public.keys() - private.keys()):
            await host.remove(posixpath.join(layout.stack_dir, stale))
    await host.put_files(layout.stack_dir, public)
    if private:
        await host.put_files(layout.stack_dir, private, mode=0o600)
    elif not spec.files_on_host and layout.rel(spec.env_file_path) not in public:
        await host.remove(posixpath.join(layout.stack_dir, layout.rel(spec.env_file_path)))
    manifest = sorted([*public, *private])
    await host.put_files(layout.stack_dir, {MANIFEST: json.dumps(manifest).encode()})


async def read_manifest(host: HostConnection, directory: str) -> set[str]:
    raw = await host.read_file(posixpath.join(directory, MANIFEST))
    return set(json.loads(raw)) if raw else set()


async def write_meta(
    host: HostConnection, layout: Layout, override: bytes, meta: Mapping[str, object]
) -> None:
    """The labels override and the invocation record (no secrets) next to the files."""
    await host.put_files(layout.stack_dir, {OVERRIDE: override, DEPLOY_META: json.dumps(meta).encode()})


async def save_good(host: HostConnection, spec: DeploySpec, layout: Layout) -> None:
    """Copy what was just deployed to ``.good/<stack>`` (the rollback source)."""
    await host.remove(layout.good_dir)
    public, private = planned_files(spec, layout)
    for meta in (MANIFEST, DEPLOY_META, OVERRIDE):
        content = await host.read_file(posixpath.join(layout.stack_dir, meta))
        if content is not None:
            public[meta] = content
    await host.put_files(layout.good_dir, public)
    if private:
        await host.put_files(layout.good_dir, private, mode=0o600)


async def restore_good(host: HostConnection, layout: Layout, *, timeout: float) -> dict[str, Any] | None:
    """Put the last good files back in the stack dir; its deploy.json, or None without a good copy."""
    raw = await host.read_file(posixpath.join(layout.good_dir, DEPLOY_META))
    if raw is None:
        return None
    for path in sorted(await read_manifest(host, layout.stack_dir)):
        await host.remove(posixpath.join(layout.stack_dir, path))
    await host.run(["cp", "-a", f"{layout.good_dir}/.", layout.stack_dir], timeout=timeout)
    meta: dict[str, Any] = json.loads(raw)
    return meta
