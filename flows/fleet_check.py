"""``fleet-check``: diagnostics of every host at once, one status per host (ok / warn / fail).

Per host: system metrics, Docker engine and container health (restarting, unhealthy),
reachability and latency, clock skew, the agent (workers of pool ``host-<server>``; agentless
SSH servers have none) and failed flow runs tagged ``host:<server>`` in the last ``hours``.
Rules are in :mod:`fleetflow.fleetops.check`. One ``fleet-check`` table artifact.

Ad hoc::

    from flows.fleet_check import fleet_check
    asyncio.run(fleet_check())
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import acreate_table_artifact
from prefect.runtime import flow_run

from fleetflow.fleetops.check import CheckStatus, Thresholds, check_rows, evaluate
from fleetflow.fleetops.hosts import chosen_servers, close_fleet, connect_fleet, has_agent
from fleetflow.fleetops.prefect_api import AgentInfo, AgentState
from fleetflow.runtime import context
from tasks.fleetops import diagnose_hosts, read_agents

AGENTLESS = AgentInfo(state=AgentState.NONE, detail="agentless: reached over SSH from core")


def _run_name() -> str:
    servers = flow_run.parameters.get("servers")
    scope = "all hosts" if not servers else ", ".join(servers[:3]) + (" ..." if len(servers) > 3 else "")
    return f"fleet check {scope}"


@flow(name="fleet-check", flow_run_name=_run_name)
async def fleet_check(
    servers: list[str] | None = None,
    timeout_s: float = 20.0,
    hours: float = 24.0,
    skew_warn_s: float = 2.0,
    skew_fail_s: float = 30.0,
    latency_warn_ms: float = 500.0,
) -> dict[str, Any]:
    """Check ``servers`` (None: every enabled applied server); ``status`` is the worst host's."""
    logger = get_run_logger()
    chosen = chosen_servers(context.store(), servers)
    configs = {s.name: s.config for s in chosen}
    hosts = connect_fleet(chosen, context.settings())
    try:
        facts, probes = await diagnose_hosts(hosts, configs, timeout_s)
    finally:
        await close_fleet(hosts)
    agents, failures, api_error = await read_agents(
        [s.name for s in chosen if has_agent(s)], list(configs), hours
    )
    if api_error:
        logger.warning("%s", api_error)
    limits = Thresholds(skew_warn_s=skew_warn_s, skew_fail_s=skew_fail_s, latency_warn_ms=latency_warn_ms)
    checks = [
        evaluate(
            s.name,
            s.config,
            facts[s.name],
            probes[s.name],
            agents.get(s.name, AGENTLESS),
            failures.get(s.name, ()),
            limits,
        )
        for s in chosen
    ]
    rows = check_rows(checks)
    counts = {s.value: sum(c.status is s for c in checks) for s in CheckStatus}
    status = max((c.status for c in checks), key=lambda s: s.rank, default=CheckStatus.OK)
    await acreate_table_artifact(
        key="fleet-check",
        table=rows,
        description=f"{counts['ok']} ok, {counts['warn']} warn, {counts['fail']} fail",
    )
    for c in checks:
        if not c.ok:
            logger.warning("%s: %s: %s", c.server, c.status.value, "; ".join(c.reasons))
    return {
        "status": status.value,
        "counts": counts,
        "hosts": rows,
        "checks": [c.model_dump(mode="json") for c in checks],
        "api_error": api_error,
    }
