"""One-shot runs on this machine: ``fleetflow reconcile`` and ``plan`` (embedded defaults).

No Prefect server is needed: without ``PREFECT_API_URL`` Prefect starts a
temporary local API for the run. No database server either: the embedded
store lives under ``FLEETFLOW_HOME``.
"""

from __future__ import annotations

import os
from pathlib import Path


def quiet_prefect_defaults() -> None:
    """Prefect settings for a one-shot CLI run (only where the user set nothing)."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")


QUIET_CONSOLE = "fleetflow.runtime.quiet_console.QuietRunsConsoleHandler"


def quiet_run_logs() -> None:
    """No Prefect run logs or tracebacks on the terminal (``fleetflow`` prints one paragraph;
    ``--debug`` shows all), while every run log still reaches the Prefect API (the UI).

    Prefect's console handler is swapped for one that leaves out the runs' records, and the run
    loggers stay at INFO even when ``PREFECT_LOGGING_LEVEL`` is quieter: a logger's level would
    drop a record before the API handler sees it.
    """
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_CLASS", QUIET_CONSOLE)
    for logger in ("PREFECT_FLOW_RUNS", "PREFECT_TASK_RUNS"):
        os.environ.setdefault(f"PREFECT_LOGGING_LOGGERS_{logger}_LEVEL", "INFO")


def default_resource_paths(repo: Path) -> list[str]:
    """``syncs`` when the repository has that folder (Komodo's layout), else the whole repository."""
    return ["syncs"] if (repo / "syncs").is_dir() else [""]
