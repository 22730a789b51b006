"""Alert rules (pure) and maintenance windows."""

from __future__ import annotations

from datetime import UTC, datetime

from fleetflow.alerts import (
    alert_key,
    fleet_alerts,
    host_alerts,
    in_window,
    muted,
    stack_alerts,
    update_alerts,
)
from fleetflow.health import Container, ContainerState, HostFacts, ImageCheck, Mount, UpdateStatus
from fleetflow.health.drift import DriftKind, DriftRow
from fleetflow.resources import MaintenanceWindow, ServerConfig
from fleetflow.store import Severity


def facts(**kw: object) -> HostFacts:
    base: dict[str, object] = {
        "host": "h1",
        "reachable": True,
        "cpu_percent": 10.0,
        "mem_percent": 20.0,
        "mounts": (Mount(mount="/", total_bytes=1, used_bytes=0, percent=10.0),),
    }
    return HostFacts.model_validate(base | kw)


def test_quiet_host_has_no_alerts() -> None:
    assert host_alerts(facts(), ServerConfig()) == []


def test_thresholds_use_server_config() -> None:
    hot = facts(
        cpu_percent=99.5,
        mem_percent=80.0,
        mounts=(Mount(mount="/srv", total_bytes=1, used_bytes=1, percent=40.0),),
    )
    found = {c.key: c for c in host_alerts(hot, ServerConfig(disk_warning=30))}
    assert found[alert_key("h1", "cpu")].severity is Severity.CRITICAL
    assert found[alert_key("h1", "mem")].severity is Severity.WARNING
    disk = found[alert_key("h1", "disk", "/srv")]
    assert disk.severity is Severity.WARNING
    assert "40.0%" in disk.message
    assert "30%" in disk.message
    assert host_alerts(hot, ServerConfig(send_cpu_alerts=False, send_mem_alerts=False)) == []


def test_unreachable_and_bad_containers() -> None:
    down = host_alerts(facts(reachable=False, error="refused"), ServerConfig())
    assert [(c.key, c.severity) for c in down] == [(alert_key("h1", "unreachable"), Severity.CRITICAL)]
    assert host_alerts(facts(reachable=False), ServerConfig(send_unreachable_alerts=False)) == []
    containers = (
        Container(id="1", name="p-a-1", project="p", service="a", state=ContainerState.UNHEALTHY),
        Container(id="2", name="p-b-1", project="p", service="b", state=ContainerState.EXITED, exit_code=0),
        Container(id="3", name="p-c-1", project="p", service="c", state=ContainerState.EXITED, exit_code=2),
    )
    keys = [c.key for c in host_alerts(facts(containers=containers), ServerConfig())]
    assert keys == [alert_key("h1", "container", "p-a-1"), alert_key("h1", "container", "p-c-1")]


def test_stack_update_and_fleet_alerts() -> None:
    drift = [
        DriftRow(host="h1", stack="web", project="web", kind=DriftKind.STOPPED_SERVICE, detail="app exited"),
        DriftRow(host="h1", stack="", project="x", kind=DriftKind.EXTRA_PROJECT, detail="extra"),
    ]
    (stack,) = stack_alerts("h1", drift, {"web": 1, "db": 0})
    assert stack.key == alert_key("h1", "stack", "web")
    assert "app exited" in stack.message
    check = ImageCheck(
        host="h1",
        project="web",
        service="app",
        image="r/x:1",
        running_digest="sha256:1",
        registry_digest="sha256:2",
        status=UpdateStatus.UPDATE_AVAILABLE,
    )
    current = check.model_copy(update={"status": UpdateStatus.CURRENT})
    assert [c.key for c in update_alerts([check, current])] == [alert_key("h1", "update", "web/app")]
    fleet = fleet_alerts(
        {"a": ("failed", "boom"), "b": ("good", "")},
        {"s": ("partial", "")},
        {"c": "inputs changed"},
        {"mongo": "disk full"},
    )
    assert [c.key for c in fleet] == [
        "health:fleet:deploy:a",
        "health:fleet:sync:s",
        "health:fleet:pending:c",
        "health:fleet:backup:mongo",
    ]


def test_maintenance_windows() -> None:
    daily = MaintenanceWindow(name="nightly", schedule_type="Daily", hour=23, minute=30, duration_minutes=60)
    assert in_window(daily, datetime(2026, 1, 5, 23, 45, tzinfo=UTC))
    assert in_window(daily, datetime(2026, 1, 6, 0, 15, tzinfo=UTC))  # crosses midnight
    assert not in_window(daily, datetime(2026, 1, 6, 0, 31, tzinfo=UTC))
    weekly = MaintenanceWindow(schedule_type="Weekly", day_of_week="Monday", hour=2, duration_minutes=30)
    assert in_window(weekly, datetime(2026, 1, 5, 2, 10, tzinfo=UTC))  # a Monday
    assert not in_window(weekly, datetime(2026, 1, 6, 2, 10, tzinfo=UTC))
    once = MaintenanceWindow(
        schedule_type="OneTime", date="2026-03-01", hour=8, duration_minutes=10, timezone="Europe/Berlin"
    )
    assert in_window(once, datetime(2026, 3, 1, 7, 5, tzinfo=UTC))  # 08:05 in Berlin
    assert muted([weekly, daily], datetime(2026, 1, 5, 23, 50, tzinfo=UTC)) == "nightly"
    assert muted([weekly], datetime(2026, 1, 5, 23, 50, tzinfo=UTC)) == ""
