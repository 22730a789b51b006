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
from fleetflow.hosts.confine import confine_on_host
from fleetflow.paths import PathEscape, confine

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
    def root_dir(self) -> str:
        return str(self.root)

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


def check_layout(spec: DeploySpec, layout: Layout) -> None:
    """Every repository-named path of ``spec`` stays inside the stack dir (lexically); files are files."""
    what = f"stack {spec.stack}"

    def inside(field: str, rel: str, *, is_file: bool = True) -> None:
        target = confine(layout.stack_dir, rel, purpose=f"{what}: {field}", local=False)
        if is_file and target == layout.stack_dir:
            raise PathEscape(f"{what}: {field}", rel, layout.stack_dir, "names no file in")

    inside("run_directory", layout.run_directory, is_file=False)
    for name in spec.file_paths:
        inside("file_paths", layout.rel(name))
    for name in spec.additional_env_files:
        inside("additional_env_files", layout.rel(name))
    inside("env_file_path", layout.rel(spec.env_file_path))
    inside("pre_deploy.path", layout.rel(spec.pre_deploy.path), is_file=False)
    inside("post_deploy.path", layout.rel(spec.post_deploy.path), is_file=False)
    for path in spec.files:
        if posixpath.normpath(path).split("/")[0] in (META_DIR, "."):
            raise PathEscape(
                f"{what}: repository file", path, layout.stack_dir, f"is reserved ({META_DIR}/) in"
            )


async def materialize(host: HostConnection, spec: DeploySpec, layout: Layout) -> None:
    """Write the stack's files; drop files fleetflow wrote before that are gone (all, on reclone).

    Every path is confined to the stack dir (:func:`fleetflow.paths.confine`), lexically and
    after symlink resolution on the host; removals never follow the last symlink.
    """
    check_layout(spec, layout)
    what = f"stack {spec.stack}"
    dirs = [(f"{what}: stack dir", spec.stack, True), (f"{what}: good copy", f".good/{spec.stack}", True)]
    await confine_on_host(host, layout.root_dir, dirs)  # neither may be a symlink out of the root
    public, private = planned_files(spec, layout)
    env_rel = layout.rel(spec.env_file_path)
    stale: list[str] = []
    if spec.reclone:
        await _remove_confined(host, layout.root_dir, [(f"{what}: stack dir", spec.stack)])
    else:
        old = await read_manifest(host, layout.stack_dir)
        stale = sorted(old - public.keys() - private.keys())
    drop_env = not private and env_rel not in public and not spec.files_on_host
    writes = [(f"{what}: repository file", rel, False) for rel in [*public, *private, MANIFEST]]
    removals = [(f"{what}: previous file", rel) for rel in stale]
    if drop_env:
        removals.append((f"{what}: env_file_path", env_rel))
    reads = [(f"{what}: file_paths", layout.rel(f), True) for f in layout.compose_files]
    reads += [(f"{what}: additional_env_files", layout.rel(f), True) for f in spec.additional_env_files]
    reads += [(f"{what}: run_directory", layout.run_directory, True)]
    await confine_on_host(host, layout.stack_dir, [*writes, *reads])
    await _remove_confined(host, layout.stack_dir, removals)
    await host.put_files(layout.stack_dir, public)
    if private:
        await host.put_files(layout.stack_dir, private, mode=0o600)
    manifest = sorted([*public, *private])
    await host.put_files(layout.stack_dir, {MANIFEST: json.dumps(manifest).encode()})


async def _remove_confined(host: HostConnection, root: str, items: list[tuple[str, str]]) -> None:
    """Remove each (purpose, path relative to ``root``) after confining it (never the last link)."""
    targets = await confine_on_host(host, root, [(purpose, rel, False) for purpose, rel in items])
    for target in targets:
        if target != root:
            await host.remove(target)


async def read_manifest(host: HostConnection, directory: str) -> set[str]:
    """Files fleetflow wrote in ``directory`` (its manifest, read only from inside the directory)."""
    (path,) = await confine_on_host(host, directory, [("manifest", MANIFEST, True)])
    raw = await host.read_file(path)
    try:
        names = json.loads(raw) if raw else []
    except ValueError:
        return set()
    return {n for n in names if isinstance(n, str)} if isinstance(names, list) else set()


async def write_meta(
    host: HostConnection, layout: Layout, override: bytes, meta: Mapping[str, object]
) -> None:
    """The labels override and the invocation record (no secrets) next to the files."""
    items = [(f"stack {layout.stack}: {m}", m, False) for m in (OVERRIDE, DEPLOY_META)]
    await confine_on_host(host, layout.stack_dir, items)
    await host.put_files(layout.stack_dir, {OVERRIDE: override, DEPLOY_META: json.dumps(meta).encode()})


async def save_good(host: HostConnection, spec: DeploySpec, layout: Layout) -> None:
    """Copy what was just deployed to ``.good/<stack>`` (the rollback source)."""
    await _remove_confined(host, layout.root_dir, [(f"stack {spec.stack}: good copy", f".good/{spec.stack}")])
    public, private = planned_files(spec, layout)
    metas = [(f"stack {spec.stack}: {m}", m, True) for m in (MANIFEST, DEPLOY_META, OVERRIDE)]
    for meta, path in zip(
        (MANIFEST, DEPLOY_META, OVERRIDE), await confine_on_host(host, layout.stack_dir, metas), strict=True
    ):
        content = await host.read_file(path)
        if content is not None:
            public[meta] = content
    await host.put_files(layout.good_dir, public)
    if private:
        await host.put_files(layout.good_dir, private, mode=0o600)


async def restore_good(host: HostConnection, layout: Layout, *, timeout: float) -> dict[str, Any] | None:
    """Put the last good files back in the stack dir; its deploy.json, or None without a good copy."""
    (meta_path,) = await confine_on_host(host, layout.good_dir, [("good copy", DEPLOY_META, True)])
    raw = await host.read_file(meta_path)
    if raw is None:
        return None
    old = sorted(await read_manifest(host, layout.stack_dir))
    await _remove_confined(host, layout.stack_dir, [(f"stack {layout.stack}: previous file", p) for p in old])
    await host.run(["cp", "-a", f"{layout.good_dir}/.", layout.stack_dir], timeout=timeout)
    meta: dict[str, Any] = json.loads(raw)
    return meta
