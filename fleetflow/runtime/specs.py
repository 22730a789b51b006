"""From an interpolated stack at a snapshot to its input set and the engine's ``DeploySpec``.

One source of truth for "what a stack reads": ``stack_inputs`` (compose files,
everything under the run directory, ``../`` env files, build contexts, bind
sources, config files), used both by change detection and to pick the files
the spec carries, so the fingerprint and the change set cannot disagree.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable

from pydantic import SecretStr

from fleetflow.changes.inputs import StackInputs, compose_inputs
from fleetflow.deploy.models import DeploySpec, Hook
from fleetflow.errors import FleetflowError, ResourceError
from fleetflow.resources import Desired, Kind, SecretResolver, Stack, digest, state_of
from fleetflow.runtime.snapshot import RepoSnapshot


def compose_files(stack: Stack, snapshot: RepoSnapshot, desired: Desired) -> list[str]:
    """Compose files of ``stack`` relative to its run directory (the first candidate found when unset)."""
    snapshot = snapshot.for_stack(stack.name)
    cfg = stack.config
    run_dir = cfg.run_directory.strip("/")
    if cfg.file_paths:
        missing = [f for f in cfg.file_paths if not snapshot.source.exists(posixpath.join(run_dir, f))]
        if missing:
            raise ResourceError(
                f"compose file(s) {', '.join(missing)} not found in {run_dir or 'the repo root'} "
                f"at commit {snapshot.short}",
                desired.resources.where(Kind.STACK, stack.name, "config.file_paths"),
                hint="Fix file_paths or commit the file.",
            )
        return list(cfg.file_paths)
    for candidate in cfg.compose_candidates:
        if snapshot.source.exists(posixpath.join(run_dir, candidate)):
            return [candidate]
    raise ResourceError(
        f"no compose file in {run_dir or 'the repo root'} at commit {snapshot.short} "
        f"(looked for {', '.join(cfg.compose_candidates)})",
        desired.resources.where(Kind.STACK, stack.name, "config.run_directory"),
        hint="Set run_directory / file_paths to where the compose file is.",
    )


def _reader(snapshot: RepoSnapshot) -> Callable[[str], bytes | None]:
    def read(path: str) -> bytes | None:
        try:
            return snapshot.read_bytes(path) if snapshot.source.exists(path) else None
        except (OSError, FleetflowError):
            return None

    return read


def stack_inputs(stack: Stack, snapshot: RepoSnapshot, desired: Desired) -> tuple[list[str], StackInputs]:
    """(compose files relative to the run directory, the stack's input set), read from the stack's own
    repository's snapshot (``snapshot.for_stack``)."""
    snapshot = snapshot.for_stack(stack.name)
    cfg = stack.config
    run_dir = cfg.run_directory.strip("/")
    config_hash = digest(json.dumps(state_of(desired.resources.stacks[stack.name]), sort_keys=True))
    if cfg.file_contents:
        return ["compose.yaml"], StackInputs(
            stack.name, config_hash=config_hash, variables=desired.uses[stack.name]
        )
    if cfg.files_on_host:  # read on the host at deploy time (fleetflow.deploy.host_files)
        return list(cfg.file_paths), StackInputs(
            stack.name, config_hash=config_hash, variables=desired.uses.get(stack.name, frozenset())
        )
    files = compose_files(stack, snapshot, desired)
    extra = (
        [e.path for e in cfg.additional_env_files] + [c.path for c in cfg.config_files] + [cfg.env_file_path]
    )
    inputs = compose_inputs(
        stack.name,
        [posixpath.join(run_dir, f) for f in files],
        _reader(snapshot),
        run_directory=run_dir,
        extra_files=extra,
        config_hash=config_hash,
        variables=desired.uses.get(stack.name, frozenset()),
    )
    return files, inputs


def input_files(inputs: StackInputs, snapshot: RepoSnapshot) -> list[str]:
    """Every existing repo file the input set covers."""
    found = {p for p in inputs.paths if snapshot.source.exists(p) and not snapshot.source.is_dir(p)}
    for prefix in inputs.prefixes:
        found.update(snapshot.source.list_files(prefix.rstrip("/")))
    for path in inputs.paths:
        if snapshot.source.is_dir(path):
            found.update(snapshot.source.list_files(path))
    return sorted(found)


def registry_secret_name(provider: str, account: str) -> str:
    """The secret holding ``account``'s token at registry ``provider``: ``REGISTRY_<PROVIDER>_<ACCOUNT>``,
    other characters than letters and digits as ``_`` (``ghcr.io`` + ``me``: ``REGISTRY_GHCR_IO_ME``)."""
    return "REGISTRY_" + re.sub(r"[^A-Za-z0-9]", "_", f"{provider}_{account}").upper()


def _registry_token(stack: Stack, desired: Desired, secrets: SecretResolver | None) -> SecretStr | None:
    cfg = stack.config
    if not (cfg.registry_provider and cfg.registry_account) or secrets is None:
        return None
    name = registry_secret_name(cfg.registry_provider, cfg.registry_account)
    token = secrets.get(name)
    if not token:
        raise ResourceError(
            f"no token for registry account {cfg.registry_account!r} at {cfg.registry_provider}: "
            f"secret {name} is not set",
            desired.resources.where(Kind.STACK, stack.name, "config.registry_account"),
            hint=f"Set FLEETFLOW_SECRET_{name}, or {name} in the secrets file or as a Prefect Secret block.",
        )
    return SecretStr(token)


def deploy_spec(
    stack_name: str,
    desired: Desired,
    snapshot: RepoSnapshot,
    *,
    timeout_s: float = 180,
    secrets: SecretResolver | None = None,
) -> DeploySpec:
    """The engine input for ``stack_name`` at ``snapshot`` (values resolved, secrets listed for masking).

    Files and ``commit`` come from the stack's own repository when it has one (``snapshot.for_stack``).

    ``secrets`` resolves the registry token of ``registry_provider``/``registry_account`` (a missing
    one is an error); without it no token is looked up (enough for the inputs digest).
    """
    stack = desired.stacks[stack_name]
    cfg = stack.config
    synced, snapshot = snapshot, snapshot.for_stack(stack_name)  # the stack's own repository
    registry_token = _registry_token(stack, desired, secrets)
    run_dir = cfg.run_directory.strip("/")
    compose, inputs = stack_inputs(stack, snapshot, desired)
    files = {} if cfg.files_on_host else {p: snapshot.read_bytes(p) for p in input_files(inputs, snapshot)}
    if cfg.file_contents:
        files[posixpath.join(run_dir, "compose.yaml")] = cfg.file_contents.encode()
    masked = tuple(
        SecretStr(desired.values[n]) for n in sorted(desired.secret_names) if desired.values.get(n)
    ) + ((registry_token,) if registry_token is not None else ())
    return DeploySpec(
        stack=stack.name,
        project=cfg.project_name,
        server=cfg.server,
        commit=snapshot.commit,
        repo="" if snapshot is synced else snapshot.display,
        files=files,
        run_directory=cfg.run_directory.strip() if cfg.files_on_host else run_dir,
        files_on_host=cfg.files_on_host,
        file_paths=tuple(compose),
        env_file_path=cfg.env_file_path,
        environment=dict(cfg.environment),
        additional_env_files=tuple(e.path for e in cfg.additional_env_files),
        pre_deploy=Hook(path=cfg.pre_deploy.path, command=cfg.pre_deploy.command),
        post_deploy=Hook(path=cfg.post_deploy.path, command=cfg.post_deploy.command),
        auto_pull=cfg.auto_pull,
        destroy_before_deploy=cfg.destroy_before_deploy,
        extra_args=tuple(cfg.extra_args),
        ignore_services=tuple(cfg.ignore_services),
        reclone=cfg.reclone,
        compose_cmd_wrapper=cfg.compose_cmd_wrapper,
        compose_cmd_wrapper_include=tuple(cfg.compose_cmd_wrapper_include),
        run_build=cfg.run_build,
        build_extra_args=tuple(cfg.build_extra_args),
        timeout_s=timeout_s,
        secret_values=masked,
        registry_provider=cfg.registry_provider,
        registry_account=cfg.registry_account,
        registry_token=registry_token,
    )
