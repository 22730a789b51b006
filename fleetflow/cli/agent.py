"""``fleetflow agent``: run or install the agent (a Prefect worker on pool host-<server>)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fleetflow.errors import FleetflowError

agent_app = typer.Typer(help="Run or install the agent (a Prefect worker on pool host-<server>).")


@agent_app.callback(invoke_without_command=True)
def agent(
    ctx: typer.Context,
    server: Annotated[str, typer.Option(help=r"The \[\[server]] name whose pool this agent serves.")] = "",
    query_seconds: Annotated[
        int, typer.Option(help="How often the worker asks for work (latency vs API load).")
    ] = 10,
    limit: Annotated[int | None, typer.Option(help="At most this many flow runs at once.")] = None,
    cold: Annotated[
        bool, typer.Option("--cold", help="Use Prefect's process worker: a new Python process per run.")
    ] = False,
) -> None:
    """Run the agent for SERVER in the foreground.

    By default the agent runs each flow run inside its own warm process (no new
    Python per deploy); --cold replaces it with `prefect worker start` instead.

    Example: fleetflow agent --server apollo
    """
    if ctx.invoked_subcommand is not None:
        return
    from fleetflow.agent import exec_worker, worker_command

    if not server:
        raise FleetflowError(
            "no server given", hint="Pass --server NAME (the [[server]] entry this host is)."
        )
    command = worker_command(server, query_seconds=query_seconds, limit=limit)  # validates the name
    if cold:
        exec_worker(command)
    from fleetflow.runtime.warm_agent import main

    main(server, query_seconds=query_seconds, limit=limit)


@agent_app.command("install")
def agent_install(
    server: Annotated[str, typer.Option(help=r"The \[\[server]] name of this host.")],
    unit_dir: Annotated[Path, typer.Option(help="Where to write the systemd unit.")] = Path(
        "/etc/systemd/system"
    ),
    env_file: Annotated[Path | None, typer.Option(help="EnvironmentFile with PREFECT_API_URL etc.")] = None,
    user: Annotated[str, typer.Option(help="User the agent runs as (needs Docker access).")] = "root",
) -> None:
    """Write a systemd unit (Restart=always) running `fleetflow agent --server SERVER`.

    Example: fleetflow agent install --server apollo --env-file /etc/fleetflow/agent.env
    """
    from fleetflow.agent import systemd_unit, unit_path

    path = unit_path(server, unit_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(systemd_unit(server, user=user, env_file=env_file))
    typer.echo(f"wrote {path}; enable it with: systemctl daemon-reload && systemctl enable --now {path.name}")
