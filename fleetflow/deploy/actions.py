"""Stack actions: start, stop, restart, pause, unpause, pull, destroy — by compose project name.

Containers labelled ``komodo.skip`` (any value but "false") are left alone by
stop, restart, pause (and unpause) and destroy unless ``include_skipped``: the action is then
narrowed to the other services, and destroy removes only their containers.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from fleetflow.deploy.models import Action, DeployResult, DeployStatus
from fleetflow.deploy.output import Masker, OutputLog
from fleetflow.deploy.state import project_services
from fleetflow.hosts.base import HostConnection, OnLine

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

    ``pull`` needs the compose files: it runs in the stack dir ``<stacks_root>/<stack or project>``.
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
        cwd = f"{host.stacks_root}/{stack or project}" if action is Action.PULL else str(host.stacks_root)
        if action is Action.PULL:
            args = [*args[:1], "--ignore-pull-failures", *args[1:]]
        log.step(f"docker compose -p {project} {' '.join(args)}")
        await host.compose(project, args, cwd=cwd, timeout=timeout, on_line=log.line)
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
