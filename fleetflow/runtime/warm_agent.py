"""The warm agent: runs the flow runs of pool ``host-<server>`` inside one long-lived process.

Prefect's process worker starts a fresh Python (2-4 s of imports) for every
deploy; this agent imports fleetflow and Prefect once and runs each claimed
run with Prefect's flow engine in-process (see ``warm_runner``). It sends the
same worker heartbeats as Prefect's worker (``agent-<server>`` on the pool), so
the UI, ``fleetflow fleet check`` and the zombie-run automation see it the same
way. Flows are found from each run's deployment entrypoint (module paths such
as ``flows.deploy_stack.deploy_stack``), imported once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from typing import Any
from uuid import UUID

import anyio
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import FlowRun
from prefect.flows import Flow, load_flow_from_entrypoint

from fleetflow.agent import HEARTBEAT_SECONDS, PROCESS_DEPLOY_SLOTS, pool_name
from fleetflow.runtime.wake import wake_on_scheduled
from fleetflow.runtime.warm_runner import WarmRunner

log = logging.getLogger("fleetflow.agent")

WORKER_HEARTBEAT_SECONDS = 30.0


class EntrypointFlows:
    """Flow objects by deployment, imported once per entrypoint."""

    def __init__(self) -> None:
        self.by_entrypoint: dict[str, Flow[..., Any]] = {}
        self.entrypoints: dict[UUID, str] = {}

    async def __call__(self, flow_run: FlowRun) -> Flow[..., Any] | None:
        if flow_run.deployment_id is None:
            return None
        entrypoint = self.entrypoints.get(flow_run.deployment_id)
        if entrypoint is None:
            async with get_client() as client:
                deployment = await client.read_deployment(flow_run.deployment_id)
            if not deployment.entrypoint:
                return None
            entrypoint = self.entrypoints[flow_run.deployment_id] = deployment.entrypoint
        if entrypoint not in self.by_entrypoint:
            self.by_entrypoint[entrypoint] = load_flow_from_entrypoint(entrypoint)
        return self.by_entrypoint[entrypoint]


async def heartbeats(server: str, stop: asyncio.Event) -> None:
    """Tell the API this agent is alive, as Prefect's worker does, until ``stop`` (one client throughout)."""
    said_down = False
    async with get_client() as client:
        while not stop.is_set():
            try:
                await client.send_worker_heartbeat(
                    pool_name(server),
                    f"agent-{server}",
                    heartbeat_interval_seconds=int(WORKER_HEARTBEAT_SECONDS),
                )
                if said_down:
                    log.warning("agent %s: the Prefect API answers again", server)
                said_down = False
            except Exception as exc:
                if not said_down:
                    log.warning("agent %s: heartbeat failed (%s); retrying", server, exc)
                said_down = True
            with anyio.move_on_after(WORKER_HEARTBEAT_SECONDS):
                await stop.wait()


async def run_agent(server: str, *, query_seconds: float, limit: int | None, stop: asyncio.Event) -> None:
    """Serve pool ``host-<server>`` until ``stop`` is set."""
    os.environ["FLEETFLOW_SERVER"] = server
    os.environ.setdefault(PROCESS_DEPLOY_SLOTS, "1")  # every deploy to this host runs in this process
    os.environ.setdefault("PREFECT_FLOWS_HEARTBEAT_FREQUENCY", str(HEARTBEAT_SECONDS))
    runner = WarmRunner(
        flow_for=EntrypointFlows(), work_pool=pool_name(server), query_seconds=query_seconds, limit=limit or 8
    )
    log.info(
        "agent %s: serving pool %s in this process (query every %s s)",
        server,
        runner.work_pool,
        query_seconds,
    )
    async with asyncio.TaskGroup() as group:
        group.create_task(heartbeats(server, stop))
        group.create_task(runner.serve(stop))
        group.create_task(wake_on_scheduled(runner.work_pool, runner.poll_once, stop))


def main(server: str, *, query_seconds: float, limit: int | None) -> None:
    """Block serving the agent; SIGINT or SIGTERM stop it (runs in flight are cancelled)."""
    logging.getLogger("fleetflow").setLevel(logging.INFO)  # Prefect's root logger passes WARNING and up

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_agent(server, query_seconds=query_seconds, limit=limit, stop=stop)

    asyncio.run(run())
