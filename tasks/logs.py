"""Live command output into Prefect run logs, batched so a chatty compose does not flood the API."""

from __future__ import annotations

import logging
import time
from typing import Any


class LineBatcher:
    """Collects output lines and logs them in batches (every ``max_lines`` or ``max_seconds``)."""

    def __init__(self, logger: logging.Logger | logging.LoggerAdapter[Any], prefix: str = "", *,
                 max_lines: int = 25, max_seconds: float = 1.0) -> None:  # fmt: skip
        self.logger = logger
        self.prefix = prefix
        self.max_lines = max_lines
        self.max_seconds = max_seconds
        self._lines: list[str] = []
        self._since = time.monotonic()

    def __call__(self, line: str) -> None:
        """Receive one (already masked) line."""
        self._lines.append(line)
        if len(self._lines) >= self.max_lines or time.monotonic() - self._since >= self.max_seconds:
            self.flush()

    def flush(self) -> None:
        """Log what is pending as one record."""
        if self._lines:
            self.logger.info("%s\n%s", self.prefix, "\n".join(self._lines))
            self._lines.clear()
        self._since = time.monotonic()
