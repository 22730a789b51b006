"""Image updates: does the registry hold a newer digest for the tag a service runs?

Observe (two ``docker inspect`` commands per host, local or SSH alike) then
compare: the running container's image ``RepoDigests`` against the registry's
digest of the tag. Images built locally (no RepoDigests) or pinned by digest
are skipped, with the reason.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from fleetflow.errors import FleetflowError
from fleetflow.health.models import Container
from fleetflow.health.registry import RegistryClient, parse_ref
from fleetflow.hosts.base import HostConnection


class UpdateStatus(StrEnum):
    CURRENT = "current"
    UPDATE_AVAILABLE = "update_available"
    UNKNOWN = "unknown"


class ImageCheck(BaseModel):
    """One service's image against its registry."""

    model_config = ConfigDict(frozen=True)

    host: str
    project: str
    service: str
    image: str
    status: UpdateStatus
    running_digest: str = ""
    registry_digest: str = ""
    detail: str = ""


def parse_inspect_lines(text: str) -> dict[str, tuple[str, str]]:
    """Lines ``<id>|<a>|<b>`` (from ``docker inspect --format``) -> {id: (a, b)}."""
    out: dict[str, tuple[str, str]] = {}
    for line in text.splitlines():
        parts = line.split("|", 2)
        if len(parts) == 3:
            out[parts[0].strip()] = (parts[1].strip(), parts[2].strip())
    return out


async def running_images(
    host: HostConnection, containers: Sequence[Container], *, timeout: float = 20.0
) -> dict[str, tuple[str, list[str]]]:
    """Container id -> (configured image ref, RepoDigests of the image it runs): two commands per host.

    The ref comes from the container's config: the engine lists a container by image id once its tag
    has moved on to a newer image.
    """
    if not containers:
        return {}
    argv = [
        "docker",
        "inspect",
        "--format",
        "{{.Id}}|{{.Image}}|{{.Config.Image}}",
        *(c.id for c in containers),
    ]
    found = parse_inspect_lines((await host.run(argv, timeout=timeout, check=False)).stdout)
    image_ids = sorted({image for image, _ in found.values()})
    if not image_ids:
        return {}
    argv = ["docker", "image", "inspect", "--format", "{{.Id}}|-|{{json .RepoDigests}}", *image_ids]
    digests = {
        image: [str(d) for d in json.loads(raw or "[]") or []]
        for image, (_, raw) in parse_inspect_lines(
            (await host.run(argv, timeout=timeout, check=False)).stdout
        ).items()
    }
    by_prefix = {full[:12]: full for full in found}
    out: dict[str, tuple[str, list[str]]] = {}
    for c in containers:
        if (full := by_prefix.get(c.id[:12])) is not None:
            image, ref = found[full]
            out[c.id] = (ref, digests.get(image, []))
    return out


async def check_updates(
    host: HostConnection,
    containers: Sequence[Container],
    registry: RegistryClient,
    *,
    projects: Collection[str],
    timeout: float = 20.0,
) -> list[ImageCheck]:
    """One check per running container of ``projects`` (the stacks with ``poll_for_updates``)."""
    chosen = [c for c in containers if c.project in projects]
    running = await running_images(host, chosen, timeout=timeout)
    checks: list[ImageCheck] = []
    for c in sorted(chosen, key=lambda c: (c.project, c.service, c.id)):
        image, repo_digests = running.get(c.id, (c.image, []))
        ref = parse_ref(image)
        base = {"host": host.name, "project": c.project, "service": c.service, "image": image}
        if ref.pinned:
            checks.append(ImageCheck(**base, status=UpdateStatus.CURRENT, detail="pinned by digest"))
            continue
        mine = [d.split("@", 1)[1] for d in repo_digests if d.split("@", 1)[0] == ref.hub_prefix]
        if not mine:
            checks.append(
                ImageCheck(**base, status=UpdateStatus.UNKNOWN, detail="image has no registry digest")
            )
            continue
        try:
            remote = await registry.digest(ref)
        except FleetflowError as exc:
            checks.append(
                ImageCheck(**base, status=UpdateStatus.UNKNOWN, running_digest=mine[0], detail=str(exc))
            )
            continue
        status = UpdateStatus.CURRENT if remote in mine else UpdateStatus.UPDATE_AVAILABLE
        checks.append(ImageCheck(**base, status=status, running_digest=mine[0], registry_digest=remote))
    return checks
