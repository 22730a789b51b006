"""Reconcile a round's alert candidates with the open alerts in the store, and notify changes.

- a candidate without an open alert opens one and is sent once;
- an open alert whose candidate repeats is bumped quietly (sent again only if it got worse);
- an open alert this round is authoritative for (its host was evaluated) with no candidate
  is resolved, and the resolution is sent;
- a host inside a maintenance window opens nothing and sends nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from pydantic import SecretStr

from fleetflow.alerts.models import AlertEvent, Candidate, EventKind, owned_prefix
from fleetflow.alerts.notify import Notifier, scrub
from fleetflow.store import Severity, StateStore

RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


async def _send(notifier: Notifier | None, title: str, body: str, severity: Severity) -> bool:
    return await notifier.send(title, body, severity) if notifier is not None else False


async def reconcile(
    store: StateStore,
    candidates: Sequence[Candidate],
    *,
    evaluated: Collection[str],
    notifier: Notifier | None = None,
    muted: Mapping[str, str] | None = None,
    secrets: Sequence[SecretStr] = (),
) -> list[AlertEvent]:
    """Apply ``candidates`` for the ``evaluated`` hosts (host segment of keys); return what changed.

    Every message is scrubbed of ``secrets`` before it is stored or sent.
    """
    muted = muted or {}
    hidden = [s.get_secret_value() for s in secrets]
    candidates = [c.model_copy(update={"message": scrub(c.message, hidden)}) for c in candidates]
    before = {a.dedup_key: a for a in store.open_alerts()}
    events: list[AlertEvent] = []
    wanted: dict[str, Candidate] = {}
    for cand in candidates:
        if cand.key not in wanted or RANK[cand.severity] > RANK[wanted[cand.key].severity]:
            wanted[cand.key] = cand
    for key, cand in sorted(wanted.items()):
        if window := muted.get(cand.host):
            events.append(
                AlertEvent(
                    key=key,
                    kind=EventKind.MUTED,
                    severity=cand.severity,
                    message=f"{cand.message} (muted: maintenance window {window})",
                )
            )
            continue
        old = before.get(key)
        record, is_new = store.open_alert(key, cand.severity, cand.message)
        if is_new:
            title = f"[{cand.severity.value}] {cand.host}: alert"
            sent = await _send(notifier, title, cand.message, cand.severity)
            events.append(
                AlertEvent(
                    key=key,
                    kind=EventKind.OPENED,
                    severity=cand.severity,
                    message=cand.message,
                    notified=sent,
                )
            )
        elif old is not None and RANK[cand.severity] > RANK[old.severity]:
            title = f"[{cand.severity.value}] {cand.host}: alert got worse"
            sent = await _send(notifier, title, cand.message, cand.severity)
            events.append(
                AlertEvent(
                    key=key,
                    kind=EventKind.ESCALATED,
                    severity=record.severity,
                    message=cand.message,
                    notified=sent,
                )
            )
    prefixes = tuple(owned_prefix(h) for h in evaluated)
    for key, alert in sorted(before.items()):
        if key in wanted or not key.startswith(prefixes):
            continue
        closed = store.resolve_alert(key)
        if closed is None:
            continue
        host = key.split(":", 2)[1]
        message = f"resolved: {alert.message}"
        sent = (
            False if muted.get(host) else await _send(notifier, f"[resolved] {host}", message, Severity.INFO)
        )
        events.append(
            AlertEvent(
                key=key, kind=EventKind.RESOLVED, severity=alert.severity, message=message, notified=sent
            )
        )
    return events
