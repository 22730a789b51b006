"""``fleetflow serve``: one box, one long-running process — schedules, ad hoc runs, push webhooks.

Runs every flow in this process with ``prefect.serve`` (no worker, no pools):
``poll-repo`` on its interval (one at a time), ``sync-resources``,
``deploy-stack`` and ``stack-action`` for ad hoc runs from the UI, and, when
``health-check`` every minute, ``backup-snapshot`` daily, and on ``--port``
the HTTP API, ``/healthz`` and ``/metrics`` plus, when ``FLEETFLOW_WEBHOOK_SECRET``
is set, the push webhook receiver: a verified push triggers ``poll-repo`` at once.
"""

from __future__ import annotations

import os
import threading
from datetime import timedelta
from typing import Any

from prefect import serve
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments import arun_deployment

from fleetflow.webhook import Trigger

SERVE_NAME = "serve"
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


def start_http(sync_name: str, branch: str, port: int, secret: str) -> threading.Thread:
    """Serve the HTTP API (and, with a secret, the push webhook receiver) on ``port`` in a daemon thread."""
    import uvicorn

    from fleetflow.api import create_api_app
    from fleetflow.runtime import context
    from fleetflow.webhook import create_app, store_recorder

    async def on_push(trigger: Trigger) -> None:
        await arun_deployment(f"poll-repo/{sync_name}", timeout=0)

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


def run_serve(
    repo: str, *, sync_name: str, branch: str, resource_paths: list[str], poll_seconds: int, webhook_port: int
) -> None:
    """Block serving ``repo`` until interrupted."""
    secret = os.environ.get("FLEETFLOW_WEBHOOK_SECRET", "")
    if webhook_port:
        start_http(sync_name, branch, webhook_port, secret)
    deployments = build_deployments(
        repo, sync_name=sync_name, branch=branch, resource_paths=resource_paths, poll_seconds=poll_seconds
    )
    serve(*deployments)
