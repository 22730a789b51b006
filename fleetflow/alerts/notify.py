"""Send alert notifications through apprise (ntfy, Discord, Slack, Gotify, email, JSON webhooks).

URLs come from settings outside git and stay ``SecretStr``; every message is
scrubbed of them (and of any other secret value given) before it leaves.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

import apprise
from pydantic import SecretStr

from fleetflow.store import Severity

log = logging.getLogger(__name__)

_TYPES = {
    Severity.INFO: apprise.NotifyType.INFO,
    Severity.WARNING: apprise.NotifyType.WARNING,
    Severity.CRITICAL: apprise.NotifyType.FAILURE,
}


def scrub(text: str, secrets: Sequence[str]) -> str:
    """Replace every non-empty secret value in ``text`` by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


class Notifier(Protocol):
    """Where alert notifications go."""

    async def send(self, title: str, body: str, severity: Severity) -> bool:
        """Deliver one notification; True when at least one target accepted it."""
        ...


class AppriseNotifier:
    """Notifications to apprise URLs; a target that fails is logged, never raised."""

    def __init__(self, urls: Sequence[SecretStr], *, secrets: Sequence[SecretStr] = ()) -> None:
        self._urls = list(urls)
        self._secrets = [s.get_secret_value() for s in (*urls, *secrets)]
        self.sent = 0

    @property
    def enabled(self) -> bool:
        return bool(self._urls)

    async def send(self, title: str, body: str, severity: Severity) -> bool:
        if not self._urls:
            return False
        client = apprise.Apprise()
        for url in self._urls:
            if not client.add(url.get_secret_value()):
                log.warning("alerts: an apprise URL was rejected (check its scheme); skipped")
        if not len(client):
            return False
        ok = bool(
            await client.async_notify(
                title=scrub(title, self._secrets),
                body=scrub(body, self._secrets),
                notify_type=_TYPES[severity],
            )
        )
        self.sent += int(ok)
        if not ok:
            log.warning("alerts: a notification could not be delivered to every apprise URL")
        return ok


class RecordingNotifier:
    """Keeps notifications in memory (dry runs and benchmarks)."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str, Severity]] = []

    async def send(self, title: str, body: str, severity: Severity) -> bool:
        self.messages.append((title, body, severity))
        return True
