"""The agent: a Prefect process worker on pool ``host-<server>``, and its systemd unit.

The worker polls the Prefect API every ``query_seconds``. Shorter means a
deploy starts sooner after it is scheduled, at the cost of one API request per
interval per host (300 hosts at 5 s = 60 requests/s on the Prefect server);
10 s is the default, Prefect's own default is 10 s too.

Stopping: a worker started in the background from a non-interactive shell
inherits SIGINT as *ignored* and Prefect's worker shuts down on SIGINT/SIGTERM
only through its own handlers, so ``kill`` of a backgrounded worker may look
ignored. The agent therefore runs the worker as the process itself (``exec``),
restores default signal dispositions, and the systemd unit uses
``KillSignal=SIGINT`` with a stop timeout before SIGKILL.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

from fleetflow.errors import ConfigError

HEARTBEAT_SECONDS = 45
DEFAULT_QUERY_SECONDS = 10


PROCESS_DEPLOY_SLOTS = "FLEETFLOW_PROCESS_DEPLOY_SLOTS"
"""Set (to 1) in a process that runs every deploy to its host itself (the warm agent, ``serve``):
the per-host deploy bound is then kept in the process, without a Prefect API call per deploy."""


def pool_name(server: str) -> str:
    """The work pool of ``server`` (same rule as ``deployments.pools``)."""
    return f"host-{server}"


@dataclass(frozen=True)
class WorkerCommand:
    """argv and extra environment of one agent's worker."""

    argv: list[str]
    env: dict[str, str]


def worker_command(
    server: str, *, query_seconds: int = DEFAULT_QUERY_SECONDS, limit: int | None = None
) -> WorkerCommand:
    """The ``prefect worker start`` invocation for ``server``'s agent."""
    if not server or "/" in server or server.strip() != server:
        raise ConfigError(f"invalid server name {server!r}", hint="Use the `name` of a [[server]] entry.")
    prefect = shutil.which("prefect", path=str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])
    if prefect is None:
        raise ConfigError(
            "the `prefect` command is not installed next to fleetflow", hint="pip install fleetflow"
        )
    argv = [
        prefect,
        "worker",
        "start",
        "--pool",
        pool_name(server),
        "--type",
        "process",
        "--name",
        f"agent-{server}",
    ]
    if limit is not None:
        argv += ["--limit", str(limit)]
    env = {
        "PREFECT_WORKER_QUERY_SECONDS": str(query_seconds),
        "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": str(HEARTBEAT_SECONDS),
        "FLEETFLOW_SERVER": server,
    }
    return WorkerCommand(argv=argv, env=env)


def exec_worker(command: WorkerCommand) -> None:
    """Replace this process with the worker, with default signal handling restored."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)
    os.execve(command.argv[0], command.argv, {**os.environ, **command.env})  # noqa: S606


def systemd_unit(server: str, *, user: str = "root", env_file: Path | None = None) -> str:
    """A systemd unit running ``fleetflow agent --server SERVER`` with Restart=always."""
    fleetflow = Path(sys.executable).parent / "fleetflow"
    lines = [
        "[Unit]",
        f"Description=fleetflow agent for server {server} (Prefect worker on pool {pool_name(server)})",
        "After=network-online.target docker.service",
        "Wants=network-online.target",
        "",
        "[Service]",
        f"User={user}",
        f"ExecStart={fleetflow} agent --server {server}",
        "Restart=always",
        "RestartSec=5",
        "KillSignal=SIGINT",
        "TimeoutStopSec=60",
    ]
    if env_file is not None:
        lines.append(f"EnvironmentFile={env_file}")
    lines += ["", "[Install]", "WantedBy=multi-user.target", ""]
    return "\n".join(lines)


def unit_path(server: str, root: Path = Path("/etc/systemd/system")) -> Path:
    """Where ``fleetflow agent install`` writes the unit."""
    return root / f"fleetflow-agent-{server}.service"
