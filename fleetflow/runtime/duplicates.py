"""Coalesced runs are not news: a duplicate run Prefect cancelled is logged once, at debug level.

With ``collision_strategy=CANCEL_NEW`` (``poll-repo``, ``health-check``) a run
scheduled while one is in flight is cancelled by the server; the runner then
logs "Aborted submission of flow run …: Server returned a non-pending state
'CANCELLED'" for each. That is the design working, so this filter turns each
such record into one debug line on ``fleetflow.runs``.
"""

from __future__ import annotations

import logging

ABORTED = "Aborted submission of flow run"
LOGGERS = ("prefect.runner.state_proposer", "prefect.runner", "prefect.flow_runs.runner")
log = logging.getLogger("fleetflow.runs")


class CoalescedRuns(logging.Filter):
    """Drops Prefect's "aborted submission" records, logging each run once at debug instead."""

    def __init__(self, remember: int = 1000) -> None:
        super().__init__()
        self.seen: dict[str, None] = {}
        self.remember = remember

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith(ABORTED):
            return True
        run = str(record.args[0]) if isinstance(record.args, tuple) and record.args else record.getMessage()
        if run not in self.seen:
            self.seen[run] = None
            if len(self.seen) > self.remember:
                self.seen.pop(next(iter(self.seen)))
            log.debug("flow run %s not started: a duplicate of a run in flight (coalesced)", run)
        return False


def install() -> CoalescedRuns:
    """Attach the filter to the runner's loggers (idempotent per process)."""
    found = CoalescedRuns()
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, CoalescedRuns) for f in logger.filters):
            logger.addFilter(found)
    return found
