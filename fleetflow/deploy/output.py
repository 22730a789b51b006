"""Secret masking and the streamed-then-summarized output of a deploy."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from fleetflow.hosts.base import OnLine

MASK = "********"


class Masker:
    """Replaces every secret value (longest first) with ``********``."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text


class OutputLog:
    """Collects masked lines, forwards each to the caller's callback, keeps a bounded tail."""

    def __init__(self, masker: Masker, on_line: OnLine | None = None, *, tail: int = 60) -> None:
        self.mask = masker
        self._on_line = on_line
        self._tail: deque[str] = deque(maxlen=tail)
        self.count = 0

    def line(self, text: str) -> None:
        masked = self.mask(text)
        self.count += 1
        self._tail.append(masked)
        if self._on_line is not None:
            self._on_line(masked)

    def step(self, title: str) -> None:
        self.line(f"==> {title}")

    @property
    def tail(self) -> tuple[str, ...]:
        return tuple(self._tail)
