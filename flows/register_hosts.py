"""Register hosts on the Prefect server: a work pool and per-host deployments for each agent server.

Called by ``sync-resources`` (servers added in git get their pool on the next
sync) and by ``fleetflow deploy``. Flow code is the installed package (module
entrypoints such as ``flows.deploy_stack.deploy_stack``), so agents need no
clone of fleetflow. Idempotent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from prefect import get_client
from prefect.types.entrypoint import EntrypointType

from fleetflow.agent import pool_name
from fleetflow.runtime import names
from fleetflow.runtime.automations import ensure_zombie_automation
from fleetflow.runtime.pools import PoolChanges, sync_work_pools

ENTRY = EntrypointType.MODULE_PATH


@dataclass
class Registration:
    """What one registration created or updated."""

    pools: PoolChanges = field(default_factory=PoolChanges)
    deployments: list[str] = field(default_factory=list)
    automation_created: bool = False


async def register_host(server: str) -> list[str]:
    """``deploy-stack`` and ``stack-action`` deployments on ``server``'s pool."""
    from flows.deploy_stack import deploy_stack
    from flows.stack_action import stack_action

    created = []
    for flow_obj, full in (
        (deploy_stack, names.deploy_stack(server)),
        (stack_action, names.stack_action(server)),
    ):
        deployment = await flow_obj.ato_deployment(
            name=full.split("/", 1)[1],
            work_pool_name=pool_name(server),
            entrypoint_type=ENTRY,
            tags=[f"host:{server}"],
            description=f"{flow_obj.name} on server {server} (its agent runs it)",
        )
        await deployment.aapply()
        created.append(full)
    return created


async def register_hosts(servers: Iterable[str], *, remove_missing: bool = False) -> Registration:
    """Pools and per-host deployments for ``servers`` (idempotent), plus the zombie-run automation."""
    wanted = sorted(set(servers))
    report = Registration()
    async with get_client() as client:
        report.pools = await sync_work_pools(client, wanted, remove_missing=remove_missing)
    for server in wanted:
        report.deployments += await register_host(server)
    report.automation_created = await ensure_zombie_automation()
    return report
