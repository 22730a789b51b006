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


RUN_LOGGERS = ("PREFECT_FLOW_RUNS", "PREFECT_TASK_RUNS", "PREFECT_TASK_ENGINE", "PREFECT_FLOW_ENGINE")


def quiet_run_logs() -> None:
    """No Prefect tracebacks on the terminal (``fleetflow`` prints one paragraph; ``--debug`` shows all).

    Failed flow and task runs are logged by Prefect with their traceback; the
    CLI reports the same failure itself, so these loggers print only criticals.
    The runs' logs still reach the Prefect API (the UI shows them).
    """
    for logger in RUN_LOGGERS:
        os.environ.setdefault(f"PREFECT_LOGGING_LOGGERS_{logger}_LEVEL", "CRITICAL")


def default_resource_paths(repo: Path) -> list[str]:
    """``syncs`` when the repository has that folder (Komodo's layout), else the whole repository."""
    return ["syncs"] if (repo / "syncs").is_dir() else [""]
