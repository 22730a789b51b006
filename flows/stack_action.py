"""``stack-action``: start, stop, restart, pause, unpause, pull or destroy a stack's project.

Ad hoc::

    from flows.stack_action import stack_action
    asyncio.run(stack_action(stack="newt", server="apollo", action="restart"))
"""

from __future__ import annotations

from typing import Any

from prefect import flow, tags
from prefect.runtime import flow_run

from fleetflow.deploy import Action, DeployStatus
from fleetflow.errors import CommandFailed
from fleetflow.runtime import context
from fleetflow.runtime.hosts import connect_server
from fleetflow.runtime.servers import applied_server
from tasks.deploy import action_on_host


def _run_name() -> str:
    p = flow_run.parameters
    return f"{p.get('action')} {p.get('stack')} @ {p.get('server')}"


@flow(name="stack-action", flow_run_name=_run_name)
async def stack_action(stack: str, server: str, action: str, project: str = "") -> dict[str, Any]:
    """Run ``action`` on ``stack`` (compose project ``project``, default the stack name) on ``server``."""
    act = Action(action)
    host = connect_server(applied_server(context.store(), server), context.settings())
    with tags(f"host:{server}", f"stack:{stack}"):
        result = await action_on_host(host, project or stack.lower(), act)
    if result.status is DeployStatus.FAILED:
        raise CommandFailed(server, ["docker", "compose", act.value, project or stack], 1, result.reason)
    return result.model_dump(mode="json", exclude={"output_tail"})
