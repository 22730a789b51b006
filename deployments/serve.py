"""``fleetflow serve``: one box, one long-running process — schedules, ad hoc runs, push webhooks.

Registers its deployments (no worker, no pools) and runs every flow run inside
this warm process with the :class:`~fleetflow.runtime.warm_runner.WarmRunner`
(no new Python process per run): ``poll-repo`` on its interval (one at a time),
``sync-resources``, ``deploy-stack`` and ``stack-action`` for ad hoc runs from
the UI or the API, ``health-check`` every minute, ``backup-snapshot`` daily,
and on ``--port`` the HTTP API, ``/healthz`` and ``/metrics`` plus, when
``FLEETFLOW_WEBHOOK_SECRET`` is set, the push webhook receiver: a verified push
starts a ``poll-repo`` run here at once (no wait for the next poll of the API).
The runner lives on its own thread and event loop; ``serve``'s
:class:`~fleetflow.runtime.stopper.Stopper` owns the signals and stops it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any
from uuid import UUID

from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy, FlowRun
from prefect.flows import Flow

from fleetflow.agent import PROCESS_DEPLOY_SLOTS
from fleetflow.api.sources import SyncSource
from fleetflow.runtime import names
from fleetflow.runtime.names import DeploymentNames
from fleetflow.runtime.stopper import Stopper
from fleetflow.runtime.warm_runner import WarmRunner
from fleetflow.webhook import Trigger

SERVE_NAME = names.SERVE
BACKUP_CRON = "30 3 * * *"
QUERY_SECONDS = float(os.environ.get("FLEETFLOW_SERVE_QUERY_SECONDS", "10"))
"""How often runs started elsewhere (the UI's Run button, ``run_deployment``) are looked for.

Scheduled runs start on time regardless (a poll looks ahead to the next one);
pushes and ``serve``'s own API actions start at once."""
PUSH_RUN_TIMEOUT_SECONDS = 3600.0
"""First wait before a push polls again when its poll could not start (another one was running)."""


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


class WakingLauncher:
    """Starts an API action's run with Prefect, then has the runner poll now instead of at its next poll."""

    def __init__(self, wake: Callable[[], None]) -> None:
        from fleetflow.api.launcher import PrefectLauncher

        self.inner = PrefectLauncher()
        self.wake = wake

    async def launch(self, deployment: str, parameters: Mapping[str, Any], *, tags: Sequence[str]) -> Any:
        run = await self.inner.launch(deployment, parameters, tags=tags)
        self.wake()
        return run


def start_http(
    sync_name: str,
    branch: str,
    port: int,
    secret: str,
    on_push: PushHandler,
    source: SyncSource | None = None,
    wake: Callable[[], None] | None = None,
) -> threading.Thread:
    """Serve the HTTP API (and, with a secret, the push webhook receiver) on ``port`` in a daemon thread.

    API actions run ``serve``'s own deployments (``deploy-stack/serve``, ``stack-action/serve``,
    ``sync-resources/<sync>``) and read ``serve``'s own repository for its sync (``source``).
    """
    import uvicorn

    from fleetflow.api import create_api_app
    from fleetflow.runtime import context
    from fleetflow.webhook import WebhookLimits, create_app, store_recorder

    store = context.store()
    recorder = store_recorder(store)
    # no debounce: a push to an idle endpoint starts its poll at once; pushes that arrive while
    # it runs still coalesce into one next poll (the coalescer runs one trigger at a time)
    limits = WebhookLimits(debounce_seconds=0.0)
    webhook = (
        create_app(
            on_push, {sync_name: secret}, branches={sync_name: branch}, recorder=recorder, limits=limits
        )
        if secret
        else None
    )
    app = create_api_app(
        store,
        settings=context.settings(),
        webhook_app=webhook,
        names=DeploymentNames(serve=True),
        local_sources=[source] if source else [],
        launcher=WakingLauncher(wake) if wake else None,
    )
    host = os.environ.get("FLEETFLOW_WEBHOOK_HOST", "127.0.0.1")
    # X-Forwarded-For is read by the app only from FLEETFLOW_TRUSTED_PROXIES, never by uvicorn
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", proxy_headers=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="webhook", daemon=True)
    thread.start()
    return thread


async def _running_finished(runner: WarmRunner, deadline: float) -> None:
    """Wait (until ``deadline``) for the runs running here now; the poll that refused one is among them."""
    running = list(runner.running.values())
    if running:
        await asyncio.wait(running, timeout=max(0.0, deadline - time.monotonic()))
    else:
        await asyncio.sleep(0.2)  # claimed elsewhere: give it a moment before asking again


class WarmServe:
    """The runner of ``serve`` on its own thread, and the bridge from the webhook thread to it."""

    def __init__(self, entries: list[tuple[Flow[..., Any], Any]], *, poll_deployment: str) -> None:
        self.entries = entries
        self.poll_deployment = poll_deployment
        self.ids: dict[str, UUID] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self.runner: WarmRunner | None = None
        self.ready = threading.Event()
        self.stop: asyncio.Event | None = None

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
        """Start a poll here now and wait for it, so pushes arriving meanwhile coalesce into the next one.

        A poll already running (one at a time: the new run is cancelled, never started) does not
        swallow the push: it polls again once that one is done, backing off up to 15 s.
        """
        if not self.ready.wait(timeout=120) or self.loop is None or self.runner is None:
            raise RuntimeError("serve is not ready to run flows yet")
        runner = self.runner
        deployment_id = self.ids[self.poll_deployment]
        tags = ["webhook", *(f"delivery:{d}" for d in trigger.delivery_ids)]

        async def run() -> None:
            deadline = time.monotonic() + PUSH_RUN_TIMEOUT_SECONDS
            while time.monotonic() < deadline:
                run_id = await runner.trigger(deployment_id, parameters={"webhook": True}, tags=tags)
                if run_id in runner.running or run_id in runner.finished:
                    await runner.wait(run_id, timeout=deadline - time.monotonic())
                    return
                # not claimed: a scheduled poll runs (limit 1, its new run was cancelled); it may
                # have fetched before this push, so poll again once it has finished
                await _running_finished(runner, deadline)

        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(run(), self.loop))

    def wake(self) -> None:
        """Have the runner poll now (from any thread): a run was just created to start here."""
        loop, runner = self.loop, self.runner
        if loop is not None and runner is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(runner.wake)

    def start(self, stopper: Stopper) -> threading.Thread:
        """Register and serve on a daemon thread; the stopper ends it (and it ends the stopper if it dies)."""

        async def main() -> None:
            self.stop = asyncio.Event()
            runner = await self.register()
            await runner.serve(self.stop)

        def run() -> None:
            try:
                asyncio.run(main())
            except BaseException as exc:  # said before the stop: the process may exit before excepthook
                stopper.say(f"the runner stopped: {type(exc).__name__}: {exc}")
                raise
            finally:
                stopper.request("runner-exit")

        def stop_runner() -> None:
            """Cancel the runs in flight and stop polling; give it a moment, never more."""
            loop, stop = self.loop, self.stop
            if loop is not None and stop is not None and not loop.is_closed():
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(stop.set)
                thread.join(timeout=1.0)

        def in_progress() -> str:
            return f"{len(self.runner.running) if self.runner else 0} flow run(s) in progress"

        stopper.activity = in_progress
        stopper.on_stop(stop_runner)
        thread = threading.Thread(target=run, name="warm-runner", daemon=True)
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
    from fleetflow.runtime import duplicates

    duplicates.install()
    os.environ.setdefault(PROCESS_DEPLOY_SLOTS, "1")  # every deploy of serve runs in this process
    secret = os.environ.get("FLEETFLOW_WEBHOOK_SECRET", "")
    source = SyncSource(name=sync_name, repo=repo, branch=branch, resource_paths=resource_paths)
    entries = build_deployments(
        repo, sync_name=sync_name, branch=branch, resource_paths=resource_paths, poll_seconds=poll_seconds
    )
    warm = WarmServe(entries, poll_deployment=names.poll_repo(sync_name))
    if port:
        stopper.phase = f"starting the HTTP API on port {port}"
        start_http(sync_name, branch, port, secret, warm.on_push, source, wake=warm.wake)
    stopper.phase = f"registering {len(entries)} deployments with the Prefect API"
    warm.start(stopper)
    while not warm.ready.wait(0.1):  # "serving" only once the deployments exist (or the runner ended)
        if stopper.requested:
            stopper.wait()
            return
    stopper.phase = f"serving {sync_name} ({repo}, branch {branch})"
    api = f", API on port {port}" if port else ""
    stopper.say(f"serving {sync_name}: polls every {poll_seconds} s, health every minute{api}")
    stopper.wait()
