"""``fleetflow serve``: single-box mode (schedules, webhook and API in one process)."""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Annotated

import typer

from fleetflow.cli.common import RESOURCE_PATH_HELP, resolve_repo

if TYPE_CHECKING:
    from fleetflow.runtime.stopper import Stopper

SYNC_HELP = (
    "Name of this resource sync: names its Prefect deployments and webhook endpoint "
    r"(use the \[\[resource_sync]] name if the repository has one)."
)


def serve(
    repo: Annotated[str, typer.Argument(help="Path or git URL of the repository with the resource files.")],
    sync: Annotated[str, typer.Option(help=SYNC_HELP)] = "main",
    branch: Annotated[str, typer.Option(help="Tracked branch.")] = "main",
    resource_path: Annotated[
        list[str] | None,
        typer.Option("--resource-path", "-r", help=RESOURCE_PATH_HELP),
    ] = None,
    poll_seconds: Annotated[int, typer.Option(help="Poll interval.")] = 300,
    port: Annotated[
        int, typer.Option(help="Port of the HTTP API and the push webhook (needs FLEETFLOW_WEBHOOK_SECRET).")
    ] = 8088,
    prefect_port: Annotated[
        int,
        typer.Option(help="Port of the Prefect server started when PREFECT_API_URL is unset (0: any free)."),
    ] = 0,
) -> None:
    """Single-box mode: poll on a schedule, check health every minute, accept push webhooks and API calls.

    Without PREFECT_API_URL it starts its own Prefect server (SQLite under
    FLEETFLOW_HOME/prefect, 127.0.0.1, no telemetry) and stops it on exit.
    SIGINT or SIGTERM stops it within 5 s.

    Example: FLEETFLOW_WEBHOOK_SECRET=... fleetflow serve /srv/git/homelab.git --sync homelab
    """
    from fleetflow.runtime.prefect_server import quiet_env
    from fleetflow.runtime.stopper import Stopper

    stopper = Stopper("fleetflow serve")
    stopper.install()
    quiet_env()
    repo, paths = resolve_repo(repo, resource_path)
    if not os.environ.get("PREFECT_API_URL"):
        _local_prefect(stopper, prefect_port)
    from deployments.serve import run_serve

    try:
        run_serve(
            repo,
            sync_name=sync,
            branch=branch,
            resource_paths=paths,
            poll_seconds=poll_seconds,
            port=port,
            stopper=stopper,
        )
    except Exception as exc:
        if stopper.requested:
            stopper.exit()
        stopper.cleanup()
        raise exc
    stopper.exit()


def _local_prefect(stopper: Stopper, port: int) -> None:
    """Start the local Prefect server and point this process at it (before Prefect is imported)."""
    from fleetflow.runtime.context import settings
    from fleetflow.runtime.prefect_server import start_local_prefect

    home = settings().home / "prefect"
    stopper.phase = f"starting the local Prefect server (log: {home / 'server.log'})"
    server = start_local_prefect(home, port, should_stop=lambda: stopper.requested)
    stopper.on_stop(server.stop)

    def watch() -> None:
        code = server.process.wait()
        if not stopper.requested:
            stopper.say(f"the local Prefect server exited (code {code}); log {server.log}:\n{server.tail(5)}")
            stopper.request("the local Prefect server exited")

    threading.Thread(target=watch, name="prefect-server-watch", daemon=True).start()
    os.environ["PREFECT_API_URL"] = server.api_url
    stopper.say(f"local Prefect server at {server.api_url.removesuffix('/api')} (UI), database {home}")
