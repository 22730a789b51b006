"""Tasks of the fleet operations: pull checkouts, diagnose hosts, read agents, update agents.

Each fleet-wide step reports per host (one host's failure is a result, not an exception), so
none of them is retried as a whole; update-agents is never retried (it must not run twice).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from prefect import get_run_logger
from prefect.client.orchestration import get_client

from fleetflow.fleetops import PullResult, PullTarget, pull_all
from fleetflow.fleetops.agents import HostUpdate, UpdatePlan, execute_update
from fleetflow.fleetops.check import observe
from fleetflow.fleetops.prefect_api import API_ERRORS, AgentInfo, failed_runs, online_since, read_agent
from fleetflow.fleetops.probe import Probe
from fleetflow.health import HostFacts
from fleetflow.hosts.base import HostConnection
from fleetflow.resources import ServerConfig
from tasks.policy import NEVER, fleet_task


@fleet_task("pull-checkouts", NEVER)
async def pull_checkouts(targets: Sequence[PullTarget], timeout_s: float) -> list[PullResult]:
    """Fast-forward every checkout at once; each host gets its own result."""
    return await pull_all(targets, timeout=timeout_s)


@fleet_task("diagnose-hosts", NEVER)
async def diagnose_hosts(
    hosts: Mapping[str, HostConnection], configs: Mapping[str, ServerConfig], timeout_s: float
) -> tuple[dict[str, HostFacts], dict[str, Probe]]:
    """Facts, reachability, latency and clock skew of every host, concurrently."""
    return await observe(hosts, configs, timeout=timeout_s)


@fleet_task("read-agents", NEVER)
async def read_agents(
    with_agent: Collection[str], servers: Collection[str], hours: float
) -> tuple[dict[str, AgentInfo], dict[str, list[str]], str]:
    """Agents of ``with_agent`` and failed runs of ``servers`` from the Prefect API (+ an API error)."""
    async with get_client() as client:
        agents = {s: await read_agent(client, s) for s in with_agent}
        try:
            failures, error = await failed_runs(client, servers, hours=hours), ""
        except API_ERRORS as exc:
            failures, error = {}, f"failed runs unknown (Prefect API: {type(exc).__name__}: {exc})"
    return agents, failures, error


async def prefect_probe(server: str, since: datetime) -> bool:
    """The real :data:`~fleetflow.fleetops.agents.WorkerProbe`: a fresh heartbeat on ``host-<server>``."""
    async with get_client() as client:
        return await online_since(client, server, since)


@fleet_task("update-agents", NEVER)
async def run_update(plan: UpdatePlan, hosts: Mapping[str, HostConnection]) -> list[HostUpdate]:
    """Update host by host, stopping at the first failure; each result is logged as it comes."""
    logger = get_run_logger()

    def log(result: HostUpdate) -> None:
        where = f" at {result.step.value}" if result.step else ""
        logger.info("%s: %s%s %s", result.server, result.outcome.value, where, result.detail)

    return await execute_update(plan, hosts, prefect_probe, on_result=log)
