"""``fleetflow serve``: one box, one long-running process — schedules, ad hoc runs, push webhooks.

Registers its deployments (no worker, no pools) and runs every flow run inside
this warm process with the :class:`~fleetflow.runtime.warm_runner.WarmRunner`
(no new Python process per run): ``poll-repo`` on its interval (one at a time),
``sync-resources``, ``deploy-stack`` and ``stack-action`` for ad hoc runs from
the UI or the API, ``health-check`` every minute, ``backup-snapshot`` daily,
and on ``--port`` the HTTP API, ``/healthz`` and ``/metrics`` plus, when
``FLEETFLOW_WEBHOOK_SECRET`` is set, the push webhook receiver: a verified push
starts a ``poll-repo`` run here at once (no wait for the next poll of the API).
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any
from uuid import UUID

from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy, FlowRun
from prefect.flows import Flow

from fleetflow.runtime.warm_runner import WarmRunner
from fleetflow.webhook import Trigger

SERVE_NAME = "serve"
BACKUP_CRON = "30 3 * * *"
QUERY_SECONDS = float(os.environ.get("FLEETFLOW_SERVE_QUERY_SECONDS", "2"))
"""How often due runs (schedules, UI and API runs) are looked for; pushes start at once."""
PUSH_RUN_TIMEOUT_SECONDS = 3600.0


def build_deployments(
    repo: str, *, sync_name: str, branch: str, resource_paths: list[str], poll_seconds: int
) -> list[tuple[Flow[..., Any], Any]]:
    """The deployments of ``serve``, each with the flow object that runs it here."""
    from flows.backup_snapshot import backup_snapshot
    from flows.deploy_stack import deploy_stack
    from flows.health_check import health_check
    from flows.poll_repo import poll_repo
    from flows.stack_action import stack_action
    from flows.sync_resources import sync_resources

    params = {"repo": repo, "branch": branch, "resource_paths": resource_paths, "sync_name": sync_name}
    return [
        (
            poll_repo,
            poll_repo.to_deployment(
                name=sync_name,
                parameters=params,
                interval=timedelta(seconds=poll_seconds),
                concurrency_limit=ConcurrencyLimitConfig(
                    limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW
                ),
            ),
        ),
        (
            sync_resources,
            sync_resources.to_deployment(name=sync_name, parameters=params, concurrency_limit=1),
        ),
        (
            deploy_stack,
            deploy_stack.to_deployment(name=SERVE_NAME, parameters={"repo": repo, "branch": branch}),
        ),
        (stack_action, stack_action.to_deployment(name=SERVE_NAME)),
        (
            health_check,
            health_check.to_deployment(
                name="fleet",
                parameters={"repo": repo, "branch": branch},
                interval=timedelta(minutes=1),
                concurrency_limit=ConcurrencyLimitConfig(
                    limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW
                ),
            ),
        ),
        (backup_snapshot, backup_snapshot.to_deployment(name="daily", cron=BACKUP_CRON, concurrency_limit=1)),
    ]


PushHandler = Callable[[Trigger], Awaitable[None]]


def start_http(sync_name: str, branch: str, port: int, secret: str, on_push: PushHandler) -> threading.Thread:
    """Serve the HTTP API (and, with a secret, the push webhook receiver) on ``port`` in a daemon thread."""
    import uvicorn

    from fleetflow.api import create_api_app
    from fleetflow.runtime import context
    from fleetflow.webhook import create_app, store_recorder

    store = context.store()
    recorder = store_recorder(store)
    webhook = (
        create_app(on_push, {sync_name: secret}, branches={sync_name: branch}, recorder=recorder)
        if secret
        else None
    )
    app = create_api_app(store, settings=context.settings(), webhook_app=webhook)
    host = os.environ.get("FLEETFLOW_WEBHOOK_HOST", "127.0.0.1")
    # X-Forwarded-For is read by the app only from FLEETFLOW_TRUSTED_PROXIES, never by uvicorn
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", proxy_headers=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="webhook", daemon=True)
    thread.start()
    return thread


class WarmServe:
    """The runner of ``serve`` and the bridge from the webhook thread to it."""

    def __init__(self, entries: list[tuple[Flow[..., Any], Any]], *, poll_deployment: str) -> None:
        self.entries = entries
        self.poll_deployment = poll_deployment
        self.ids: dict[str, UUID] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self.runner: WarmRunner | None = None
        self.ready = threading.Event()

    async def register(self) -> WarmRunner:
        """Create or update the deployments on the Prefect API; the runner that runs them here."""
        flows: dict[UUID, Flow[..., Any]] = {}
        for flow, deployment in self.entries:
            deployment_id = await deployment.aapply()
            flows[deployment_id] = flow
            self.ids[f"{flow.name}/{deployment.name}"] = deployment_id

        async def flow_for(flow_run: FlowRun) -> Flow[..., Any] | None:
            return flows.get(flow_run.deployment_id) if flow_run.deployment_id else None

        self.runner = WarmRunner(flow_for=flow_for, deployment_ids=list(flows), query_seconds=QUERY_SECONDS)
        self.loop = asyncio.get_running_loop()
        self.ready.set()
        return self.runner

    async def on_push(self, trigger: Trigger) -> None:
        """Start a poll here now and wait for it, so pushes arriving meanwhile coalesce into the next one."""
        if not self.ready.wait(timeout=120) or self.loop is None or self.runner is None:
            raise RuntimeError("serve is not ready to run flows yet")
        runner = self.runner
        deployment_id = self.ids[self.poll_deployment]

        async def run() -> None:
            run_id = await runner.trigger(deployment_id, tags=["webhook"])
            await runner.wait(run_id, timeout=PUSH_RUN_TIMEOUT_SECONDS)

        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(run(), self.loop))


def run_serve(
    repo: str, *, sync_name: str, branch: str, resource_paths: list[str], poll_seconds: int, webhook_port: int
) -> None:
    """Block serving ``repo`` until SIGINT or SIGTERM."""
    entries = build_deployments(
        repo, sync_name=sync_name, branch=branch, resource_paths=resource_paths, poll_seconds=poll_seconds
    )
    warm = WarmServe(entries, poll_deployment=f"poll-repo/{sync_name}")
    secret = os.environ.get("FLEETFLOW_WEBHOOK_SECRET", "")
    if webhook_port:
        start_http(sync_name, branch, webhook_port, secret, warm.on_push)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        runner = await warm.register()
        await runner.serve(stop)

    asyncio.run(main())
