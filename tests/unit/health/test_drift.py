"""Drift rows from containers versus last good deploys (pure), and the roll-up table."""

from __future__ import annotations

from fleetflow.health.drift import DriftKind, Expected, find_drift, stacks_to_heal
from fleetflow.health.models import Container, ContainerState, HostFacts, Mount
from fleetflow.health.rollup import drift_rows, fleet_rows


def c(
    project: str, service: str, state: ContainerState = ContainerState.RUNNING, fp: str = "f1"
) -> Container:
    return Container(
        id=f"{project}-{service}",
        project=project,
        service=service,
        state=state,
        fingerprint=fp,
        exit_code=1 if state is ContainerState.EXITED else 0,
    )


WEB = Expected(stack="web", server="h1", project="web", services={"app": "f1", "db": "f1"})
DB = Expected(stack="db", server="h1", project="db", services={"pg": "f1"}, auto_update=False)
OTHER = Expected(stack="far", server="h2", project="far", services={"x": "f1"})


def test_no_drift_when_everything_runs_as_deployed() -> None:
    assert find_drift("h1", [WEB, OTHER], [c("web", "app"), c("web", "db")]) == []


def test_each_kind_of_drift() -> None:
    containers = [
        c("web", "app", ContainerState.EXITED),
        c("web", "db", fp="someone-else"),
        c("adhoc", "thing"),
    ]
    rows = find_drift("h1", [WEB, DB, OTHER], containers)
    kinds = {(r.stack, r.kind, r.service) for r in rows}
    assert kinds == {
        ("db", DriftKind.MISSING_STACK, ""),
        ("web", DriftKind.STOPPED_SERVICE, "app"),
        ("web", DriftKind.FINGERPRINT_MISMATCH, "db"),
        ("", DriftKind.EXTRA_PROJECT, ""),
    }
    extra = next(r for r in rows if r.kind is DriftKind.EXTRA_PROJECT)
    assert not extra.healable
    assert "not removed" in extra.detail
    assert stacks_to_heal(rows, [WEB, DB]) == ["web"]  # db has auto_update off: reported only


def test_missing_service_and_ignored_services() -> None:
    rows = find_drift("h1", [WEB], [c("web", "app")])
    assert [(r.kind, r.service) for r in rows] == [(DriftKind.MISSING_SERVICE, "db")]
    ignoring = WEB.model_copy(update={"ignore_services": ("db",)})
    assert find_drift("h1", [ignoring], [c("web", "app")]) == []


def test_fleet_rows() -> None:
    up = HostFacts(
        host="h1",
        reachable=True,
        engine_version="20.10",
        cpu_percent=12.3,
        mem_percent=40,
        containers=(c("web", "app"), c("web", "db", ContainerState.UNHEALTHY)),
        mounts=(
            Mount(mount="/", total_bytes=10, used_bytes=5, percent=50.0),
            Mount(mount="/srv", total_bytes=10, used_bytes=9, percent=90.0),
        ),
    )
    down = HostFacts(host="h0", reachable=False, error="connection refused")
    drift = find_drift("h1", [WEB], [c("web", "app")])
    rows = fleet_rows([up, down], drift, {"h1": 2})
    assert [r["host"] for r in rows] == ["h0", "h1"]
    assert rows[0]["reachable"] is False
    assert rows[0]["reason"] == "connection refused"
    assert rows[0]["cpu"] == "-"
    assert rows[1] | {} == {
        "host": "h1",
        "reachable": True,
        "engine": "20.10",
        "containers": "1/2",
        "unhealthy": 1,
        "cpu": "12%",
        "mem": "40%",
        "disk max": "90%",
        "drift": 1,
        "alerts": 2,
        "reason": "",
    }
    assert drift_rows(drift)[0]["kind"] == "missing_service"
    sample = up.sample()
    assert sample["counts"] == {"web": {"running": 1, "unhealthy": 1}}
    assert "containers" not in sample


def test_image_updates_redeploy_unless_the_service_is_skipped() -> None:
    from fleetflow.health.drift import stacks_to_update

    skipping = WEB.model_copy(update={"auto_update_skip_services": ("db",)})
    updated = {(WEB.server, WEB.project, "db")}
    assert stacks_to_update(updated, [WEB]) == ["web"]
    assert stacks_to_update(updated, [skipping]) == []  # only a skipped service has a newer image
    assert stacks_to_update(updated | {(WEB.server, WEB.project, "app")}, [skipping]) == ["web"]
    assert stacks_to_update({("other", WEB.project, "app")}, [WEB]) == []
    assert stacks_to_update({(DB.server, DB.project, "x")}, [DB]) == []  # auto_update off
