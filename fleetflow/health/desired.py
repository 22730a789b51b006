"""What the state DB says should run: applied servers and stacks, last good deploys, latest outcomes."""

from __future__ import annotations

from collections.abc import Collection

from pydantic import ValidationError

from fleetflow.alerts.models import BACKUP_ALERT, BACKUP_FAILED
from fleetflow.health.drift import Expected
from fleetflow.resources import Server, Stack
from fleetflow.runtime.history import StoreHistory
from fleetflow.runtime.servers import applied_servers
from fleetflow.store import StateStore


def servers(store: StateStore, names: Collection[str] | None = None) -> list[Server]:
    """Applied, enabled servers (all when ``names`` is None); an unknown name is this host's engine."""
    applied = {s.name: s for s in applied_servers(store)}
    if names is None:
        return [s for _, s in sorted(applied.items()) if s.config.enabled]
    return [applied.get(n) or Server(name=n) for n in names]


def stacks(store: StateStore) -> dict[str, Stack]:
    """Applied stacks by name (one stored before names and paths were checked, and now refused, is left out:
    the next sync reports it with file and line)."""
    out: dict[str, Stack] = {}
    for record in store.list_resources("stack"):
        try:
            out[record.name] = Stack.model_validate({**record.config, "name": record.name})
        except ValidationError:
            continue
    return out


def expected(store: StateStore, applied: dict[str, Stack], hosts: Collection[str]) -> list[Expected]:
    """The last good deploy of every stack on ``hosts`` (stacks never deployed well are left out)."""
    history = StoreHistory(store)
    out: list[Expected] = []
    for name, stack in sorted(applied.items()):
        if stack.config.server not in hosts or (last := history.last_good(name)) is None:
            continue
        out.append(
            Expected(
                stack=name,
                server=stack.config.server,
                project=last.project,
                services=dict(last.service_fingerprints),
                ignore_services=tuple(stack.config.ignore_services),
                auto_update=stack.config.auto_update,
                auto_update_skip_services=tuple(stack.config.auto_update_skip_services),
            )
        )
    return out


def latest_deploys(store: StateStore, names: Collection[str]) -> dict[str, tuple[str, str]]:
    """stack -> (status, summary) of its newest deploy record."""
    out: dict[str, tuple[str, str]] = {}
    for name in names:
        if history := store.deploy_history(name, limit=1):
            out[name] = (history[0].status.value, history[0].summary)
    return out


def latest_syncs(store: StateStore) -> dict[str, tuple[str, str]]:
    """resource_sync -> (outcome, error) of its newest run."""
    out: dict[str, tuple[str, str]] = {}
    for record in store.list_resources("resource_sync"):
        if runs := store.sync_runs(record.name, limit=1):
            out[record.name] = (runs[0].outcome.value, runs[0].error or "")
    return out


def failed_backups(store: StateStore) -> dict[str, str]:
    """``{"snapshot": reason}`` while backup-snapshot's last run failed (its alert is open), else ``{}``."""
    for alert in store.open_alerts():
        if alert.dedup_key == BACKUP_ALERT:
            return {"snapshot": alert.message.removeprefix(BACKUP_FAILED)}
    return {}
