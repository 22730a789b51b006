"""``update-agents``: upgrade fleetflow in each agent's venv, restart the unit, wait for the worker.

One host at a time, stopping at the first failure (the rest are ``skipped``). ``dry_run``
returns the plan (hosts and commands) and runs nothing. Agentless (``ssh://``) servers have no
agent and are left out; an agent host is reached at its ``external_address`` when that is an
``ssh://`` URL, else it is this machine. Defaults: venv ``/opt/fleetflow/venv``, no extra pip
options (pip's configured index), restart ``systemctl restart fleetflow-agent-{server}``, verify
= a worker on ``host-<server>`` heartbeats within 120 s of the restart.

Ad hoc::

    from flows.update_agents import update_agents
    asyncio.run(update_agents(version="1.4.2", dry_run=True))
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import acreate_table_artifact
from prefect.runtime import flow_run
from pydantic import ValidationError

from fleetflow.errors import ConfigError
from fleetflow.fleetops.agents import Outcome, UpdateOptions, UpdatePlan, plan_update
from fleetflow.fleetops.hosts import chosen_servers, close_fleet, connect_agent_hosts, has_agent
from fleetflow.runtime import context
from tasks.fleetops import run_update

DEFAULTS = UpdateOptions()


def _run_name() -> str:
    p = flow_run.parameters
    what = f"fleetflow=={p['version']}" if p.get("version") else "latest fleetflow"
    return f"update agents to {what}{' (dry run)' if p.get('dry_run') else ''}"


def plan_rows(plan: UpdatePlan) -> list[dict[str, str]]:
    """One row per step: server, step, command (or what verify waits for)."""
    return [
        {"server": h.server, "step": s.kind.value, "command": " ".join(s.argv) or s.detail}
        for h in plan.hosts
        for s in h.steps
    ]


@flow(name="update-agents", flow_run_name=_run_name)
async def update_agents(
    servers: list[str] | None = None,
    version: str | None = None,
    dry_run: bool = False,
    venv: str = DEFAULTS.venv,
    pip_options: list[str] | None = None,
    restart_command: str = DEFAULTS.restart_command,
    verify_timeout_s: float = DEFAULTS.verify_timeout_s,
    package: str = DEFAULTS.package,
) -> dict[str, Any]:
    """Update the agents of ``servers`` (None: every enabled applied server with an agent)."""
    logger = get_run_logger()
    chosen = chosen_servers(context.store(), servers)
    agentless = [s.name for s in chosen if not has_agent(s)]
    if servers is not None and agentless:
        raise ConfigError(
            f"server(s) {', '.join(agentless)} are agentless (ssh://); there is no agent to update",
            hint="leave them out of `servers`",
        )
    with_agent = [s for s in chosen if has_agent(s)]
    try:
        options = UpdateOptions(
            version=version,
            package=package,
            venv=venv,
            pip_options=tuple(pip_options or ()),
            restart_command=restart_command,
            verify_timeout_s=verify_timeout_s,
        )
    except ValidationError as exc:
        raise ConfigError(
            f"update-agents options: {exc.errors()[0]['msg']}", hint="check the version"
        ) from exc
    plan = plan_update([s.name for s in with_agent], options)
    result: dict[str, Any] = {"dry_run": dry_run, "plan": plan_rows(plan), "skipped_agentless": agentless}
    if dry_run:
        await acreate_table_artifact(key="update-agents", table=result["plan"], description="plan (dry run)")
        return {**result, "results": [], "ok": True}
    hosts = connect_agent_hosts(with_agent, context.settings())
    try:
        updates = await run_update(plan, hosts)
    finally:
        await close_fleet(hosts)
    rows = [u.model_dump(mode="json") for u in updates]
    ok = all(u.outcome is Outcome.UPDATED for u in updates)
    await acreate_table_artifact(
        key="update-agents",
        table=rows,
        description=f"{sum(u.outcome is Outcome.UPDATED for u in updates)}/{len(updates)} updated",
    )
    if not ok:
        logger.warning(
            "update-agents stopped: %s", next(u.detail for u in updates if u.outcome is Outcome.FAILED)
        )
    return {**result, "results": rows, "ok": ok}
