"""Stack actions: start, stop, restart, pause, unpause, pull, destroy — by compose project name.

Containers labelled ``komodo.skip`` (any value but "false") are left alone by
stop, restart, pause (and unpause) and destroy unless ``include_skipped``: the action is then
narrowed to the other services, and destroy removes only their containers.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from fleetflow.deploy.materialize import DEPLOY_META
from fleetflow.deploy.models import Action, DeployResult, DeployStatus
from fleetflow.deploy.output import Masker, OutputLog
from fleetflow.deploy.state import project_services
from fleetflow.hosts.base import HostConnection, OnLine
from fleetflow.hosts.confine import confine_on_host
from fleetflow.paths import confine

_PROTECTED = {Action.STOP, Action.RESTART, Action.PAUSE, Action.UNPAUSE, Action.DESTROY}


def _args(
    action: Action, services: list[str], *, narrowed: bool, volumes: bool, stop_timeout: int
) -> list[str]:
    t = ["-t", str(stop_timeout)]
    if action is Action.DESTROY:
        if narrowed:
            return ["rm", "-f", "-s", *(["-v"] if volumes else []), *services]
        return ["down", "--remove-orphans", *t, *(["-v"] if volumes else [])]
    if action in (Action.STOP, Action.RESTART):
        return [action.value, *t, *services]
    return [action.value, *services]


async def _compose_files(host: HostConnection, stack: str) -> dict[str, Any]:
    """cwd, compose files and env files of the stack's last deploy (from its deploy.json)."""
    stack_dir = confine(str(host.stacks_root), stack, purpose="stack name", local=False)
    (meta_path,) = await confine_on_host(
        host, stack_dir, [(f"stack {stack}: deploy record", DEPLOY_META, True)]
    )
    raw = await host.read_file(meta_path)
    if raw is None:
        return {"cwd": stack_dir}
    meta = json.loads(raw)
    return {
        "cwd": str(meta.get("cwd") or stack_dir),
        "files": [str(f) for f in meta.get("files") or []],
        "env_files": [str(f) for f in meta.get("env_files") or []],
    }


async def run_action(
    host: HostConnection,
    project: str,
    action: Action,
    *,
    services: Sequence[str] = (),
    remove_volumes: bool = False,
    include_skipped: bool = False,
    stop_timeout: int = 10,
    timeout: float = 180,
    on_line: OnLine | None = None,
    stack: str = "",
) -> DeployResult:
    """Run ``action`` on ``project`` (optionally only ``services``) and report the containers after it.

    ``pull`` needs the compose files: it uses those of the last deploy of ``stack`` (default: project).
    Raises :class:`CommandFailed` (host, command, exit status, stderr tail) when compose fails.
    """
    log = OutputLog(Masker(()), on_line)
    started = time.perf_counter()
    before = await project_services(host, project)
    chosen = list(services)
    narrowed = False
    skipped = sorted({s.service for s in before if s.skip})
    if action in _PROTECTED and skipped and not include_skipped:
        pool = chosen or sorted({s.service for s in before})
        chosen = [s for s in pool if s not in skipped]
        narrowed = True
        log.line(f"leaving komodo.skip services alone: {', '.join(skipped)}")
    if narrowed and not chosen:
        status, reason = DeployStatus.SKIPPED, "every selected service is labelled komodo.skip"
    else:
        args = _args(action, chosen, narrowed=narrowed, volumes=remove_volumes, stop_timeout=stop_timeout)
        where: dict[str, Any] = {"cwd": str(host.stacks_root)}
        if action is Action.PULL:
            args = [*args[:1], "--ignore-pull-failures", *args[1:]]
            where = await _compose_files(host, stack or project)
        log.step(f"docker compose -p {project} {' '.join(args)}")
        await host.compose(project, args, timeout=timeout, on_line=log.line, **where)
        status, reason = DeployStatus.GOOD, f"{action.value} done"
    after = await project_services(host, project)
    return DeployResult(
        host=host.name,
        stack=stack or project,
        project=project,
        action=action.value,
        status=status,
        reason=reason,
        services=tuple(after),
        durations={action.value: round(time.perf_counter() - started, 3)},
        output_tail=log.tail,
        output_lines=log.count,
    )
