"""Deploy records, last good deploys, health samples."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fleetflow.store import DeployStatus, StateStore

pytestmark = pytest.mark.mongo

T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def deploy(store: StateStore, stack: str, minute: int, status: DeployStatus, fp: str = "fp") -> None:
    store.record_deploy(
        stack,
        "host1",
        f"c{minute}",
        fp,
        status,
        T0 + timedelta(minutes=minute),
        T0 + timedelta(minutes=minute, seconds=30),
        {"web": {"image": "busybox", "digest": "sha256:ab"}, "a.b": {}},
        f"minute {minute}",
    )


def test_record_and_history(store: StateStore) -> None:
    for minute, status in enumerate([DeployStatus.GOOD, DeployStatus.FAILED, DeployStatus.ROLLED_BACK]):
        deploy(store, "web", minute, status)
    deploy(store, "db", 0, DeployStatus.GOOD)
    history = store.deploy_history("web", limit=2)
    assert [d.status for d in history] == [DeployStatus.ROLLED_BACK, DeployStatus.FAILED]
    assert history[0].services == {"web": {"image": "busybox", "digest": "sha256:ab"}, "a.b": {}}
    assert history[0].finished == T0 + timedelta(minutes=2, seconds=30)


def test_last_good_ignores_failures_and_older_records(store: StateStore) -> None:
    deploy(store, "web", 5, DeployStatus.GOOD, fp="new")
    deploy(store, "web", 1, DeployStatus.GOOD, fp="late-arriving-old")
    deploy(store, "web", 9, DeployStatus.FAILED, fp="broken")
    deploy(store, "db", 2, DeployStatus.GOOD, fp="db")
    deploy(store, "cache", 2, DeployStatus.SKIPPED, fp="cache")
    web = store.last_good_deploy("web")
    assert web is not None
    assert web.fingerprint == "new"
    assert store.last_good_deploy("cache") is None
    assert {k: v.fingerprint for k, v in store.last_good_deploys().items()} == {"web": "new", "db": "db"}


def test_health_latest_and_purge(store: StateStore) -> None:
    assert store.latest_health("host1") is None
    store.record_health("host1", {"cpu": 10.0, "disk": {"/var/lib": 50}})
    store.record_health("host1", {"cpu": 20.0, "disk": {"/var/lib": 51}})
    store.record_health("host2", {"cpu": 1.0})
    latest = store.latest_health("host1")
    assert latest is not None
    assert latest.facts["cpu"] == 20.0
    assert store.purge_health(timedelta(hours=1)) == 0
    assert store.purge_health(timedelta(seconds=-1)) == 3
    assert store.latest_health("host2") is None
