"""The terminal handler the ``fleetflow`` CLI gives Prefect: run logs go to the API, not the terminal.

Prefect's flow- and task-run loggers hand every record to the API (the UI shows
it) and pass it on to the root logger's console handler. The CLI prints its own
one-paragraph errors, so this handler drops run records below CRITICAL, with
their tracebacks; everything else prints as Prefect prints it. Lowering the run
loggers' level instead would drop the records before they reach the API.
"""

from __future__ import annotations

import logging

from prefect.logging.handlers import PrefectConsoleHandler

RUN_LOGGERS = ("prefect.flow_runs", "prefect.task_runs", "prefect.task_engine", "prefect.flow_engine")


class QuietRunsConsoleHandler(PrefectConsoleHandler):
    """Prefect's console handler without the runs' own records (they are in the UI)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith(RUN_LOGGERS) and record.levelno < logging.CRITICAL:
            return False
        return bool(super().filter(record))
