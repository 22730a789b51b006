"""``fleetflow serve``: one box, one long-running process — schedules, ad hoc runs, push webhooks.

Runs every flow in this process with ``prefect.serve`` (no worker, no pools):
``poll-repo`` on its interval (one at a time), ``sync-resources``,
``deploy-stack`` and ``stack-action`` for ad hoc runs from the UI, and, when
``FLEETFLOW_WEBHOOK_SECRET`` is set, the push webhook receiver on
``--webhook-port``: a verified push triggers ``poll-repo`` at once.
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


def build_deployments(
    repo: str, *, sync_name: str, branch: str, resource_paths: list[str], poll_seconds: int
) -> list[Any]:
    """The in-process deployments of ``serve``."""
    from flows.deploy_stack import deploy_stack
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
    ]


def start_webhook_receiver(sync_name: str, branch: str, port: int, secret: str) -> threading.Thread:
    """Serve the webhook receiver on 127.0.0.1/0.0.0.0:``port`` in a daemon thread."""
    import uvicorn

    from fleetflow.webhook import create_app

    async def on_push(trigger: Trigger) -> None:
        await arun_deployment(f"poll-repo/{sync_name}", timeout=0)

    app = create_app(on_push, {sync_name: secret}, branches={sync_name: branch})
    host = os.environ.get("FLEETFLOW_WEBHOOK_HOST", "127.0.0.1")
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="webhook", daemon=True)
    thread.start()
    return thread


def run_serve(
    repo: str, *, sync_name: str, branch: str, resource_paths: list[str], poll_seconds: int, webhook_port: int
) -> None:
    """Block serving ``repo`` until interrupted."""
    secret = os.environ.get("FLEETFLOW_WEBHOOK_SECRET", "")
    if webhook_port and secret:
        start_webhook_receiver(sync_name, branch, webhook_port, secret)
    deployments = build_deployments(
        repo, sync_name=sync_name, branch=branch, resource_paths=resource_paths, poll_seconds=poll_seconds
    )
    serve(*deployments)
