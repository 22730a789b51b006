"""One round's candidates: pending changes for stacks without auto_update, stack trouble by project."""

from __future__ import annotations

from fleetflow.alerts.evaluate import pending_changes, round_candidates
from fleetflow.alerts.models import BACKUP_ALERT, BACKUP_FAILED
from fleetflow.health import (
    Container,
    ContainerState,
    DriftKind,
    DriftRow,
    Expected,
    HostFacts,
    ImageCheck,
    UpdateStatus,
)
from fleetflow.health.desired import failed_backups
from fleetflow.store import Severity, StateStore

MANUAL = Expected(stack="db", server="h1", project="db", services={"pg": "f"}, auto_update=False)
AUTO = Expected(stack="web", server="h1", project="web", services={"app": "f"})


def test_pending_only_for_manual_stacks() -> None:
    drift = [
        DriftRow(host="h1", stack="db", project="db", kind=DriftKind.STOPPED_SERVICE, detail="pg exited"),
        DriftRow(host="h1", stack="web", project="web", kind=DriftKind.STOPPED_SERVICE, detail="app exited"),
    ]
    check = ImageCheck(
        host="h1", project="db", service="pg", image="r/pg:1", status=UpdateStatus.UPDATE_AVAILABLE
    )
    assert pending_changes(drift, [check], [MANUAL, AUTO]) == {"db": "pg exited; newer image for pg"}


def test_round_maps_unhealthy_containers_to_their_stack() -> None:
    sick = Container(
        id="1",
        name="web-app-1",
        project="web",
        service="app",
        state=ContainerState.UNHEALTHY,
        fingerprint="f",
    )
    facts = HostFacts(host="h1", reachable=True, containers=(sick,))
    keys = {c.key for c in round_candidates([facts], {}, [], [], [AUTO], {"web": ("good", "")}, {})}
    assert keys == {"health:h1:container:web-app-1", "health:h1:stack:web"}


def test_an_open_backup_alert_feeds_the_fleet_backup_rule(store: StateStore) -> None:
    assert failed_backups(store) == {}
    store.open_alert(BACKUP_ALERT, Severity.CRITICAL, f"{BACKUP_FAILED}KopiaError: repository locked")
    backups = failed_backups(store)
    assert backups == {"snapshot": "KopiaError: repository locked"}
    [candidate] = round_candidates([], {}, [], [], [], {}, {}, backups)
    assert candidate.key == "health:fleet:backup:snapshot"
    assert candidate.message == "backup snapshot failed: KopiaError: repository locked"
    store.resolve_alert(BACKUP_ALERT)
    assert failed_backups(store) == {}
