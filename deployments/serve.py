"""``fleetflow serve``: one box, one long-running process — schedules, ad hoc runs, push webhooks.

Runs every flow in this process with ``prefect.serve`` (no worker, no pools):
``poll-repo`` on its interval (one at a time), ``sync-resources``,
``deploy-stack`` and ``stack-action`` for ad hoc runs from the UI and the API,
``health-check`` every minute, ``backup-snapshot`` daily, and on ``--port``
the HTTP API, ``/healthz`` and ``/metrics`` plus, when ``FLEETFLOW_WEBHOOK_SECRET``
is set, the push webhook receiver: a verified push triggers ``poll-repo`` at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from datetime import timedelta
from typing import Any

from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments import arun_deployment

from fleetflow.api.sources import SyncSource
from fleetflow.runtime import names
from fleetflow.runtime.names import DeploymentNames
from fleetflow.runtime.stopper import Stopper
from fleetflow.webhook import Trigger

SERVE_NAME = names.SERVE
BACKUP_CRON = "30 3 * * *"


def build_deployments(
    repo: str, *, sync_name: str, branch: str, resource_paths: list[str], poll_seconds: int
) -> list[Any]:
    """The in-process deployments of ``serve``."""
    from flows.backup_snapshot import backup_snapshot
    from flows.deploy_stack import deploy_stack
    from flows.health_check import health_check
    from flows.poll_repo import poll_repo
    from flows.stack_action import stack_action
    from flows.sync_resources import sync_resources

    params = {"repo": repo, "branch": branch, "resource_paths": resource_paths, "sync_name": sync_name}
    return [
        poll_repo.to_deployment(
            name=sync_name,
            parameters=params,
            interval=timedelta(seconds=poll_seconds),
            concurrency_limit=ConcurrencyLimitConfig(
                limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW
            ),
        ),
        sync_resources.to_deployment(name=sync_name, parameters=params, concurrency_limit=1),
        deploy_stack.to_deployment(name=SERVE_NAME, parameters={"repo": repo, "branch": branch}),
        stack_action.to_deployment(name=SERVE_NAME),
        health_check.to_deployment(
            name="fleet",
            parameters={"repo": repo, "branch": branch},
            interval=timedelta(minutes=1),
            concurrency_limit=ConcurrencyLimitConfig(
                limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW
            ),
        ),
        backup_snapshot.to_deployment(name="daily", cron=BACKUP_CRON, concurrency_limit=1),
    ]


def start_http(
    sync_name: str, branch: str, port: int, secret: str, source: SyncSource | None = None
) -> threading.Thread:
    """Serve the HTTP API (and, with a secret, the push webhook receiver) on ``port`` in a daemon thread.

    API actions run ``serve``'s own deployments (``deploy-stack/serve``, ``stack-action/serve``,
    ``sync-resources/<sync>``) and read ``serve``'s own repository for its sync (``source``).
    """
    import uvicorn

    from fleetflow.api import create_api_app
    from fleetflow.runtime import context
    from fleetflow.webhook import create_app

    async def on_push(trigger: Trigger) -> None:
        tags = ["webhook", *(f"delivery:{d}" for d in trigger.delivery_ids)]
        await arun_deployment(names.poll_repo(sync_name), timeout=0, tags=tags)

    webhook = create_app(on_push, {sync_name: secret}, branches={sync_name: branch}) if secret else None
    app = create_api_app(
        context.store(),
        settings=context.settings(),
        webhook_app=webhook,
        names=DeploymentNames(serve=True),
        local_sources=[source] if source else [],
    )
    host = os.environ.get("FLEETFLOW_WEBHOOK_HOST", "127.0.0.1")
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="webhook", daemon=True)
    thread.start()
    return thread


def start_runner(deployments: list[Any], stopper: Stopper) -> threading.Thread:
    """Register ``deployments`` and run them in a Prefect runner on a daemon thread.

    Off the main thread the runner installs no signal handlers: ``serve``'s own
    (:class:`~fleetflow.runtime.stopper.Stopper`) decide how it stops.
    """
    from prefect.runner import Runner

    from fleetflow.runtime import duplicates

    duplicates.install()
    runner = Runner(name="fleetflow-serve", pause_on_shutdown=False)
    stopper.phase = f"registering {len(deployments)} deployments with the Prefect API"
    for deployment in deployments:
        runner.add_deployment(deployment)

    def stop_runner() -> None:
        """Ask the runner to cancel its runs and stop polling; give it a moment, never more."""
        if runner.started and not runner.stopping:
            stopping = runner.execute_in_background(runner.astop)
            with contextlib.suppress(Exception):
                stopping.result(timeout=1.0)

    def run() -> None:
        try:
            asyncio.run(runner.start())
        finally:
            stopper.request("runner-exit")

    def in_progress() -> str:
        running = len(getattr(runner, "_flow_run_process_map", {}) or {})
        return f"{running} flow run(s) in progress"

    stopper.activity = in_progress
    stopper.on_stop(stop_runner)
    thread = threading.Thread(target=run, name="prefect-runner", daemon=True)
    thread.start()
    return thread


def run_serve(
    repo: str,
    *,
    sync_name: str,
    branch: str,
    resource_paths: list[str],
    poll_seconds: int,
    port: int,
    stopper: Stopper,
) -> None:
    """Serve ``repo`` until ``stopper`` is asked to stop (a signal, or the runner ending)."""
    secret = os.environ.get("FLEETFLOW_WEBHOOK_SECRET", "")
    source = SyncSource(name=sync_name, repo=repo, branch=branch, resource_paths=resource_paths)
    if port:
        stopper.phase = f"starting the HTTP API on port {port}"
        start_http(sync_name, branch, port, secret, source)
    deployments = build_deployments(
        repo, sync_name=sync_name, branch=branch, resource_paths=resource_paths, poll_seconds=poll_seconds
    )
    start_runner(deployments, stopper)
    stopper.phase = f"serving {sync_name} ({repo}, branch {branch})"
    api = f", API on port {port}" if port else ""
    stopper.say(f"serving {sync_name}: polls every {poll_seconds} s, health every minute{api}")
    stopper.wait()
