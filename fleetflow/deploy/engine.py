"""Deploy one stack on one host: the sequence, the result, and the rollback on failure.

pre_deploy -> compose config -> build (run_build) -> pull (auto_pull) -> down (destroy_before_deploy or
project renamed) -> up -d --remove-orphans -> wait running/healthy -> post_deploy.
A failure before ``up`` leaves the running containers untouched (and puts the last
good files back); a failure from ``up`` on redeploys the last good files.
"""

from __future__ import annotations

import posixpath
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager
from typing import Any

from fleetflow.deploy import materialize as mat
from fleetflow.deploy.fingerprint import (
    compute_fingerprint,
    inputs_digest,
    service_fingerprints,
    service_images,
)
from fleetflow.deploy.history import DeployHistory
from fleetflow.deploy.host_files import with_host_files
from fleetflow.deploy.models import DeployResult, DeploySpec, DeployStatus
from fleetflow.deploy.output import Masker, OutputLog
from fleetflow.deploy.registry_auth import registry_env
from fleetflow.deploy.service_inputs import service_input_hashes
from fleetflow.deploy.state import project_services, wait_ready
from fleetflow.deploy.steps import (
    StackCompose,
    StepFailed,
    check_wrapper,
    expected_services,
    image_ids,
    labels_override,
    run_hook,
)
from fleetflow.errors import FleetflowError
from fleetflow.hosts.base import HostConnection, OnLine

_BEFORE_UP = ("materialize", "pre_deploy", "config", "build", "registry", "pull", "down")


class _Timer:
    def __init__(self) -> None:
        self.durations: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        except StepFailed:
            raise
        except FleetflowError as exc:
            raise StepFailed(name, str(exc)) from exc
        finally:
            self.durations[name] = round(time.perf_counter() - started, 3)

    @contextmanager
    def measure(self, name: str) -> Iterator[None]:
        """Add the block's time to ``name``; errors pass through unchanged."""
        started = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - started
            self.durations[name] = round(self.durations.get(name, 0.0) + elapsed, 3)


async def deploy(
    host: HostConnection,
    spec: DeploySpec,
    history: DeployHistory,
    *,
    on_line: OnLine | None = None,
    reason: str = "deploy requested",
) -> DeployResult:
    """Deploy ``spec`` on ``host`` and record the result (good, failed or rolled_back) in ``history``."""
    log = OutputLog(Masker(s.get_secret_value() for s in spec.secret_values), on_line)
    if spec.files_on_host and not spec.files:
        try:
            spec = await with_host_files(host, spec)
        except FleetflowError as exc:
            return _refused(host, spec, history, log.mask(str(exc)))
    layout = mat.layout_for(spec, host.stacks_root)
    project = spec.project_name
    compose = StackCompose(host, layout, project, log, spec)
    last = history.last_good(spec.stack)
    timer = _Timer()
    started = time.monotonic()
    fields: dict[str, Any] = {"inputs_digest": inputs_digest(spec)}
    log.step(f"deploy {spec.stack} @ {spec.commit[:12]} on {host.name}: {reason}")
    auth = AsyncExitStack()
    try:
        with timer.stage("materialize"):
            check_wrapper(spec)
            await mat.materialize(host, spec, layout)
        with timer.stage("pre_deploy"):
            await run_hook(host, spec, layout, spec.pre_deploy, log)
        with timer.stage("config"):
            model = await compose.config(timeout=spec.timeout_s)
        if spec.run_build:
            with timer.stage("build"):
                await compose(["build", *spec.build_extra_args], timeout=spec.timeout_s, with_override=False)
        with timer.stage("registry"):
            auth_env = await auth.enter_async_context(registry_env(host, spec))
        refs = list(service_images(model).values())
        with timer.measure("images"):
            images = await image_ids(host, refs)
        to_pull = services_to_pull(model, images) if spec.auto_pull else []
        if to_pull:
            with timer.stage("pull"):
                pull = ["pull", "--ignore-pull-failures", *to_pull]
                await compose(pull, timeout=spec.timeout_s, with_override=False, env=auth_env)
                images = await image_ids(host, refs)  # read again only when something was pulled
        expected = expected_services(model, spec.ignore_services)
        file_inputs = service_input_hashes(model, spec.files, layout.files_root, layout.cwd)
        per_service = service_fingerprints(model, images, file_inputs)
        fields |= {
            "fingerprint": compute_fingerprint(spec, model, images),
            "images": images,
            "service_fingerprints": {s: per_service[s] for s in expected if s in per_service},
        }
        with timer.measure("labels"):
            current = await project_services(host, project)
        meta = {
            "project": project,
            "commit": spec.commit,
            "expected": expected,
            "extra_args": spec.extra_args,
            "cwd": layout.cwd,
            "files": [*layout.compose_files, posixpath.join(layout.stack_dir, mat.OVERRIDE)],
            "env_files": layout.env_files,
        }
        with timer.measure("labels"):
            await mat.write_meta(host, layout, labels_override(spec, per_service, current, file_inputs), meta)
        old_project = last.project if last else project
        if spec.destroy_before_deploy or old_project != project:
            with timer.stage("down"):
                await host.compose(
                    old_project, ["down", "--remove-orphans"], cwd=str(host.stacks_root),
                    timeout=spec.timeout_s, on_line=log.line,
                )  # fmt: skip
        with timer.stage("up"):
            up_since = time.time()
            up = ["up", "-d", "--remove-orphans", *spec.extra_args]
            await compose(up, timeout=spec.timeout_s, env=auth_env)
        with timer.stage("wait"):
            remaining = max(1.0, spec.timeout_s - (time.monotonic() - started))
            states = await wait_ready(
                host, project, expected, timeout=remaining, settle=spec.settle_s, up_since=up_since
            )
        with timer.stage("post_deploy"):
            await run_hook(host, spec, layout, spec.post_deploy, log)
        await mat.save_good(host, spec, layout)
        status, why, rolled_to = DeployStatus.GOOD, reason, ""
    except StepFailed as exc:
        why = log.mask(str(exc))
        log.line(f"!! {why}")
        status, rolled_to, states = await _recover(host, spec, layout, last, exc.stage, log, timer)
        if status is DeployStatus.ROLLED_BACK:
            why += f"; rolled back to {rolled_to[:12]}"
        elif exc.stage in _BEFORE_UP:
            why += "; running containers left untouched"
    finally:
        try:
            await auth.aclose()
        except FleetflowError as exc:  # the registry config could not be removed: say so, keep the result
            log.line(f"!! removing the temporary registry config failed: {log.mask(str(exc))}")
    result = DeployResult(
        host=host.name, stack=spec.stack, project=project, status=status, reason=why, commit=spec.commit,
        repo=spec.repo, services=tuple(states), rolled_back_to=rolled_to, durations=timer.durations,
        output_tail=log.tail, output_lines=log.count, **fields,
    )  # fmt: skip
    history.record(result)
    return result


def _refused(host: HostConnection, spec: DeploySpec, history: DeployHistory, why: str) -> DeployResult:
    """A deploy that could not start (its files are not readable): failed, nothing touched."""
    result = DeployResult(
        host=host.name, stack=spec.stack, project=spec.project_name, status=DeployStatus.FAILED,
        reason=f"{why}; running containers left untouched", commit=spec.commit, repo=spec.repo,
    )  # fmt: skip
    history.record(result)
    return result


def names_registry(image: str) -> bool:
    """Whether ``image`` names its registry host (``registry.lan/app:1``, ``127.0.0.1:5000/x``)."""
    first = image.split("/", 1)[0]
    return "/" in image and ("." in first or ":" in first or first == "localhost")


_NO_PULL = {"never", "build"}
_PULL_IF_MISSING = {"missing", "if_not_present"}


def services_to_pull(model: dict[str, Any], present: dict[str, str]) -> list[str]:
    """Services to ``compose pull``: images that name a registry host (where updates come from)
    and images missing on the host. A present image without a registry host (a Docker Hub short
    name, or one built or loaded locally) is left alone, so the engine never reaches for Docker Hub
    on its own; its updates are found by the health check's registry digest comparison.

    A service's ``pull_policy`` is honored: ``never`` and ``build`` are never pulled (no pull
    call at all when no service needs one), ``missing``/``if_not_present`` only when absent."""
    services = model.get("services") or {}
    out = []
    for name, image in service_images(model).items():
        policy = str((services.get(name) or {}).get("pull_policy") or "").lower()
        if policy in _NO_PULL:
            continue
        if not present.get(image) or (names_registry(image) and policy not in _PULL_IF_MISSING):
            out.append(name)
    return sorted(out)


async def _recover(
    host: HostConnection,
    spec: DeploySpec,
    layout: mat.Layout,
    last: DeployResult | None,
    stage: str,
    log: OutputLog,
    timer: _Timer,
) -> tuple[DeployStatus, str, list[Any]]:
    """Put the last good files back; from ``up`` on, also redeploy them. (status, commit, states)."""
    if last is None:
        log.line("no good deploy of this stack yet: nothing to roll back to")
        return DeployStatus.FAILED, "", await project_services(host, spec.project_name)
    try:
        meta = await mat.restore_good(host, layout, timeout=spec.timeout_s)
        if meta is None:
            log.line(f"no last-good copy in {layout.good_dir}: cannot roll back")
            return DeployStatus.FAILED, "", await project_services(host, spec.project_name)
        old_project = str(meta["project"])
        if stage in _BEFORE_UP:
            return DeployStatus.FAILED, "", await project_services(host, old_project)
        log.step(f"rollback to {last.commit[:12]}")
        with timer.stage("rollback"):
            if old_project != spec.project_name:
                await host.compose(
                    spec.project_name, ["down", "--remove-orphans"], cwd=str(host.stacks_root),
                    timeout=spec.timeout_s, on_line=log.line,
                )  # fmt: skip
            extra = [str(a) for a in meta.get("extra_args") or []]
            compose = StackCompose(host, layout, old_project, log, spec)
            up_since = time.time()
            await compose(["up", "-d", "--remove-orphans", *extra], timeout=spec.timeout_s)
            expected = [str(s) for s in meta.get("expected") or []]
            states = await wait_ready(
                host, old_project, expected, timeout=spec.timeout_s, settle=spec.settle_s, up_since=up_since
            )
    except FleetflowError as exc:
        log.line(f"!! rollback failed: {log.mask(str(exc))}")
        return DeployStatus.FAILED, "", await project_services(host, spec.project_name)
    return DeployStatus.ROLLED_BACK, last.commit, states


def stack_dir(host: HostConnection, stack: str) -> str:
    """Where ``stack``'s files live on ``host``."""
    return posixpath.join(str(host.stacks_root), stack)
