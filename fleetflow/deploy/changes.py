"""Deploy only what changed: compare inputs and the host's containers with the last good deploy.

The no-change path never calls compose: one container list and one image
inspect per image, so a host with many stacks is checked in well under a second.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fleetflow.deploy.engine import deploy
from fleetflow.deploy.fingerprint import inputs_digest
from fleetflow.deploy.history import DeployHistory
from fleetflow.deploy.host_files import with_host_files
from fleetflow.deploy.models import DeployResult, DeploySpec, DeployStatus, ServiceState
from fleetflow.deploy.state import problem, project_services
from fleetflow.deploy.steps import image_ids
from fleetflow.errors import FleetflowError
from fleetflow.hosts.base import HostConnection, OnLine


def drift(
    expected: Mapping[str, str], states: Sequence[ServiceState], ignore: Sequence[str] = ()
) -> list[str]:
    """Why the containers differ from the last good deploy ([] when they match)."""
    found: list[str] = []
    by_service: dict[str, list[ServiceState]] = {}
    for state in states:
        by_service.setdefault(state.service, []).append(state)
    for service, fingerprint in sorted(expected.items()):
        if service in ignore:
            continue
        containers = by_service.get(service, [])
        if not containers:
            found.append(f"service {service} has no container")
        for c in containers:
            if why := problem(c) or ("" if c.state == "running" else f"service {service} is {c.state}"):
                found.append(why)
            elif c.fingerprint != fingerprint:
                found.append(f"service {service} runs another definition (fingerprint label differs)")
    extra = sorted(set(by_service) - set(expected) - set(ignore))
    found += [f"service {s} is not part of the last good deploy" for s in extra]
    return found


async def why_deploy(host: HostConnection, spec: DeploySpec, last: DeployResult | None) -> str:
    """The reason ``spec`` must be deployed, or "" when the last good deploy is still what runs."""
    if last is None:
        return "first deploy (no good deploy recorded)"
    if spec.files_on_host and not spec.files:
        try:
            spec = await with_host_files(host, spec)
        except FleetflowError as exc:
            return f"files on host unreadable: {exc}"
    if last.inputs_digest != inputs_digest(spec):
        return f"inputs changed since {last.commit[:12]} (config, files or variables)"
    if last.project != spec.project_name:
        return f"project renamed from {last.project}"
    problems = drift(
        last.service_fingerprints, await project_services(host, last.project), spec.ignore_services
    )
    if problems:
        return "containers drifted: " + "; ".join(problems)
    current = await image_ids(host, list(last.images))
    newer = sorted(ref for ref, image_id in current.items() if image_id != last.images.get(ref))
    if newer:
        return "image changed on host: " + ", ".join(newer)
    return ""


async def deploy_if_changed(
    host: HostConnection, spec: DeploySpec, history: DeployHistory, *, on_line: OnLine | None = None
) -> DeployResult:
    """Deploy ``spec`` unless its fingerprint matches the last good deploy and containers are as expected."""
    last = history.last_good(spec.stack)
    if spec.files_on_host and not spec.files:
        try:
            spec = await with_host_files(host, spec)
        except FleetflowError:
            return await deploy(host, spec, history, on_line=on_line, reason="files on host")
    reason = await why_deploy(host, spec, last)
    if reason or last is None:
        return await deploy(host, spec, history, on_line=on_line, reason=reason)
    return DeployResult(
        host=host.name,
        stack=spec.stack,
        project=last.project,
        action="deploy",
        status=DeployStatus.SKIPPED,
        reason=f"unchanged: fingerprint {last.fingerprint[:12]} of {last.commit[:12]} is running",
        commit=last.commit,
        repo=last.repo,
        fingerprint=last.fingerprint,
        inputs_digest=last.inputs_digest,
        service_fingerprints=last.service_fingerprints,
        images=last.images,
    )
