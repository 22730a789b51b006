"""The single steps of a deploy, each one compose or engine call on the host."""

from __future__ import annotations

import asyncio
import json
import posixpath
from collections.abc import Mapping, Sequence
from typing import Any

import docker
import yaml

from fleetflow.deploy.materialize import OVERRIDE, Layout
from fleetflow.deploy.models import DeploySpec, Hook, ServiceState
from fleetflow.deploy.output import OutputLog
from fleetflow.deploy.service_inputs import INPUTS_LABEL
from fleetflow.deploy.state import COMMIT_LABEL, FINGERPRINT_LABEL, STACK_LABEL
from fleetflow.deploy.wrapper import check, wrap
from fleetflow.errors import ComponentUnavailable, DeployFailed
from fleetflow.hosts.base import HostConnection, OnLine, RunResult, compose_argv

WRAPPER_HINT = (
    "Put [[COMPOSE_COMMAND]] where the compose command goes, e.g. sops exec-env .env '[[COMPOSE_COMMAND]]'."
)


class StepFailed(DeployFailed):
    """A deploy step failed; ``stage`` says which (pre_deploy, config, pull, down, up, wait, post_deploy)."""

    def __init__(self, stage: str, message: str) -> None:
        super().__init__(f"{stage} failed: {message}")
        self.stage = stage


class StackCompose:
    """Compose calls for one stack's project, files and env files, output into one log.

    With a ``compose_cmd_wrapper`` in ``spec``, the subcommands it includes run through it
    (``sh -c`` in the run directory, the stack's environment set), as Komodo runs them.
    """

    def __init__(
        self,
        host: HostConnection,
        layout: Layout,
        project: str,
        log: OutputLog,
        spec: DeploySpec | None = None,
    ) -> None:
        self.host, self.layout, self.project, self.log, self.spec = host, layout, project, log, spec

    async def __call__(
        self,
        args: Sequence[str],
        *,
        timeout: float,
        with_override: bool = True,
        check: bool = True,
        env: Mapping[str, str] | None = None,
    ) -> RunResult:
        files = list(self.layout.compose_files)
        if with_override:
            files.append(posixpath.join(self.layout.stack_dir, OVERRIDE))
        self.log.step(f"docker compose {' '.join(args)}")
        return await self._run(args, files, timeout=timeout, on_line=self.log.line, check=check, env=env)

    async def _run(
        self,
        args: Sequence[str],
        files: Sequence[str],
        *,
        timeout: float,
        on_line: OnLine | None,
        check: bool = True,
        env: Mapping[str, str] | None = None,
    ) -> RunResult:
        env_files = self.layout.env_files
        spec = self.spec
        extra_env = dict(env or {})
        if spec is not None and spec.compose_cmd_wrapper:
            argv = compose_argv(self.project, args, files=files, env_files=env_files)
            try:
                command = wrap(spec.compose_cmd_wrapper, spec.compose_cmd_wrapper_include, argv, args[0])
            except ValueError as exc:
                raise DeployFailed(f"stack {spec.stack}: {exc}", hint=WRAPPER_HINT) from exc
            if command is not None:
                if on_line is not None:
                    self.log.step(f"through compose_cmd_wrapper: {args[0]}")
                return await self.host.run(
                    ["sh", "-c", command], env=dict(spec.environment) | extra_env, cwd=self.layout.cwd,
                    timeout=timeout, on_line=on_line, check=check,
                )  # fmt: skip
        if extra_env:
            return await self.host.run(
                compose_argv(self.project, args, files=files, env_files=env_files), env=extra_env,
                cwd=self.layout.cwd, timeout=timeout, on_line=on_line, check=check,
            )  # fmt: skip
        return await self.host.compose(
            self.project, args, cwd=self.layout.cwd, files=files, env_files=env_files,
            timeout=timeout, on_line=on_line, check=check,
        )  # fmt: skip

    async def config(self, *, timeout: float) -> dict[str, Any]:
        """The rendered compose model (without fleetflow's labels override)."""
        result = await self._run(
            ["config", "--format", "json"], self.layout.compose_files, timeout=timeout, on_line=None
        )
        self.log.step("docker compose config: ok")
        model: dict[str, Any] = json.loads(result.stdout)
        return model


def check_wrapper(spec: DeploySpec) -> None:
    """Refuse a ``compose_cmd_wrapper`` without ``[[COMPOSE_COMMAND]]`` before anything runs."""
    try:
        check(spec.compose_cmd_wrapper)
    except ValueError as exc:
        raise DeployFailed(f"stack {spec.stack}: {exc}", hint=WRAPPER_HINT) from exc


async def run_hook(
    host: HostConnection, spec: DeploySpec, layout: Layout, hook: Hook, log: OutputLog
) -> None:
    """Run a pre/post deploy command with ``sh -c`` in its directory, the stack's environment set."""
    if not hook.command.strip():
        return
    cwd = posixpath.normpath(posixpath.join(layout.cwd, hook.path))
    log.step(f"hook in {hook.path or '.'}: {hook.command}")
    await host.run(
        ["sh", "-c", hook.command],
        env=dict(spec.environment),
        cwd=cwd,
        timeout=spec.timeout_s,
        on_line=log.line,
    )


def expected_services(model: Mapping[str, Any], ignore: Sequence[str]) -> list[str]:
    """Services that must be running after ``up``: all but ignored and scaled to zero."""
    out = []
    for name, svc in (model.get("services") or {}).items():
        replicas = svc.get("scale", (svc.get("deploy") or {}).get("replicas", 1))
        if name not in ignore and replicas != 0:
            out.append(name)
    return sorted(out)


def _image_ids(host: HostConnection, refs: Sequence[str]) -> dict[str, str]:
    ids = {}
    try:
        with host.docker() as client:
            for ref in refs:
                try:
                    ids[ref] = str(client.images.get(ref).id)
                except docker.errors.ImageNotFound:
                    ids[ref] = ""
    except docker.errors.DockerException as exc:
        raise ComponentUnavailable(f"Docker on {host.name}: cannot inspect images: {exc}") from exc
    return ids


async def image_ids(host: HostConnection, refs: Sequence[str]) -> dict[str, str]:
    """image ref -> local image id ("" when the image is not on the host)."""
    return await asyncio.to_thread(_image_ids, host, sorted(set(refs)))


def labels_override(
    spec: DeploySpec,
    fingerprints: Mapping[str, str],
    current: Sequence[ServiceState],
    file_inputs: Mapping[str, str] | None = None,
) -> bytes:
    """A compose override stamping each service; an unchanged service keeps its commit label,
    so its container config (and compose's config hash) stays the same and it is not recreated."""
    kept = {
        s.service: s.commit for s in current if s.fingerprint and s.fingerprint == fingerprints.get(s.service)
    }
    services: dict[str, Any] = {}
    for name, fp in fingerprints.items():
        labels = {STACK_LABEL: spec.stack, FINGERPRINT_LABEL: fp, COMMIT_LABEL: kept.get(name) or spec.commit}
        if inputs := (file_inputs or {}).get(name):
            labels[INPUTS_LABEL] = inputs
        services[name] = {"labels": labels}
    return yaml.safe_dump({"services": services}, sort_keys=True).encode()
