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
from fleetflow.deploy.state import COMMIT_LABEL, FINGERPRINT_LABEL, STACK_LABEL
from fleetflow.errors import ComponentUnavailable, DeployFailed
from fleetflow.hosts.base import HostConnection, RunResult


class StepFailed(DeployFailed):
    """A deploy step failed; ``stage`` says which (pre_deploy, config, pull, down, up, wait, post_deploy)."""

    def __init__(self, stage: str, message: str) -> None:
        super().__init__(f"{stage} failed: {message}")
        self.stage = stage


class StackCompose:
    """Compose calls for one stack's project, files and env files, output into one log."""

    def __init__(self, host: HostConnection, layout: Layout, project: str, log: OutputLog) -> None:
        self.host, self.layout, self.project, self.log = host, layout, project, log

    async def __call__(
        self, args: Sequence[str], *, timeout: float, with_override: bool = True, check: bool = True
    ) -> RunResult:
        files = list(self.layout.compose_files)
        if with_override:
            files.append(posixpath.join(self.layout.stack_dir, OVERRIDE))
        self.log.step(f"docker compose {' '.join(args)}")
        return await self.host.compose(
            self.project,
            args,
            cwd=self.layout.cwd,
            files=files,
            env_files=self.layout.env_files,
            timeout=timeout,
            on_line=self.log.line,
            check=check,
        )

    async def config(self, *, timeout: float) -> dict[str, Any]:
        """The rendered compose model (without fleetflow's labels override)."""
        result = await self.host.compose(
            self.project,
            ["config", "--format", "json"],
            cwd=self.layout.cwd,
            files=self.layout.compose_files,
            env_files=self.layout.env_files,
            timeout=timeout,
        )
        self.log.step("docker compose config: ok")
        model: dict[str, Any] = json.loads(result.stdout)
        return model


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
    spec: DeploySpec, fingerprints: Mapping[str, str], current: Sequence[ServiceState]
) -> bytes:
    """A compose override stamping each service; an unchanged service keeps its commit label,
    so its container config (and compose's config hash) stays the same and it is not recreated."""
    kept = {
        s.service: s.commit for s in current if s.fingerprint and s.fingerprint == fingerprints.get(s.service)
    }
    services = {
        name: {
            "labels": {
                STACK_LABEL: spec.stack,
                FINGERPRINT_LABEL: fp,
                COMMIT_LABEL: kept.get(name) or spec.commit,
            }
        }
        for name, fp in fingerprints.items()
    }
    return yaml.safe_dump({"services": services}, sort_keys=True).encode()
