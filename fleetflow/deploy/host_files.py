"""``files_on_host = true``: the compose files live on the host, at ``run_directory``.

The directory is absolute, or relative to the host's stacks root (and then must
stay inside it); ``/`` and paths with ``..`` are refused. Before each deploy
decision the files the stack reads there (compose files, ``include``/``extends``,
env files, bind-mount sources, config/secret files: the same reading as for
repo files) are read from the host into the spec, keyed relative to that
directory, so the fingerprint, the change decision and the per-service inputs
see a host-side edit exactly as they see a commit. fleetflow never writes them.
"""

from __future__ import annotations

import posixpath
from pathlib import PurePosixPath

from fleetflow.changes.inputs import compose_inputs
from fleetflow.deploy.models import DeploySpec
from fleetflow.errors import DeployFailed, FleetflowError
from fleetflow.hosts.base import HostConnection

DEFAULT_COMPOSE_FILES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
MAX_FILES = 512
MAX_ROUNDS = 8


def host_dir(spec: DeploySpec, root: PurePosixPath) -> str:
    """The stack's directory on the host; raises :class:`DeployFailed` for a path that is not allowed."""
    raw = spec.run_directory.strip()
    hint = "Set run_directory to an absolute directory other than /, or one relative to the stacks root."
    if not raw or ".." in PurePosixPath(raw).parts:
        raise DeployFailed(
            f"stack {spec.stack}: files_on_host needs a run_directory without '..' (got {raw!r})", hint=hint
        )
    path = posixpath.normpath(raw if raw.startswith("/") else posixpath.join(str(root), raw))
    if path == "/":
        raise DeployFailed(f"stack {spec.stack}: files_on_host run_directory must not be /", hint=hint)
    return path


async def _list(host: HostConnection, directory: str, timeout: float) -> list[str]:
    result = await host.run(["find", directory, "-type", "f", "-size", "-4M"], timeout=timeout, check=False)
    return [
        line for line in result.stdout.splitlines() if line == directory or line.startswith(directory + "/")
    ]


async def with_host_files(host: HostConnection, spec: DeploySpec) -> DeploySpec:
    """``spec`` with ``files`` read from the host directory (relative paths) and its compose files set."""
    base = host_dir(spec, host.stacks_root)
    files: dict[str, bytes] = {}
    absent: set[str] = set()

    async def fetch(rel: str) -> bytes | None:
        if rel in files or rel in absent:
            return files.get(rel)
        try:
            content = await host.read_file(posixpath.join(base, rel))
        except (OSError, FleetflowError):  # a directory, or unreadable: not a file input
            content = None
        if content is None:
            absent.add(rel)
        else:
            files[rel] = content
        return content

    compose = list(spec.file_paths)
    if not compose:
        for candidate in DEFAULT_COMPOSE_FILES:
            if await fetch(candidate) is not None:
                compose = [candidate]
                break
    missing = [f for f in compose if await fetch(f) is None]
    if not compose or missing:
        raise DeployFailed(
            f"stack {spec.stack}: compose file(s) {', '.join(missing or DEFAULT_COMPOSE_FILES)} "
            f"not found on {host.name} in {base}",
            hint="Put the compose file there, or fix run_directory / file_paths (files_on_host = true).",
        )
    extra = [*spec.additional_env_files, spec.env_file_path]
    listed: set[str] = set()
    for _ in range(MAX_ROUNDS):
        inputs = compose_inputs(spec.stack, compose, files.get, extra_files=extra)
        trees = {prefix.rstrip("/") for prefix in inputs.prefixes}
        wanted = {p for p in inputs.paths if p and p not in trees}
        for tree in sorted(trees - listed):  # a bind source may be a file or a directory: find says
            listed.add(tree)
            found = await _list(host, posixpath.join(base, tree) if tree else base, spec.timeout_s)
            wanted.update(posixpath.relpath(p, base) for p in found[:MAX_FILES])
        wanted -= set(files) | absent
        if not wanted:
            break
        for rel in sorted(wanted)[:MAX_FILES]:
            await fetch(rel)
    return spec.model_copy(update={"files": files, "file_paths": tuple(compose)})
