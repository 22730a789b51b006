"""``/healthz`` and ``/metrics``: what they report, 200 vs 503, Prometheus text from the store."""

from __future__ import annotations

import socket
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from api_helper import Env, build, client_for
from prometheus_client.parser import text_string_to_metric_families

from fleetflow.api.health import Check, prefect_probe, verdict
from fleetflow.api.metrics import duration_histogram
from fleetflow.api.reads import deploys_since
from fleetflow.backup.layout import MANIFEST_NAME, format_stamp
from fleetflow.store import DeployStatus, Severity, SyncOutcome


async def prefect_down() -> str | None:
    return "http://127.0.0.1:1/api unreachable: ConnectError"


async def test_healthz_ok_without_auth(tmp_path: Path) -> None:
    env = build(tmp_path)
    env.store.start_sync_run("homelab", "c1", [])
    async with client_for(env.app) as client:
        response = await client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["store"]["ok"]
    assert body["prefect"]["ok"]
    assert 0 <= body["last_poll_age_seconds"] < 60


async def test_healthz_503_when_prefect_is_down(tmp_path: Path) -> None:
    env = build(tmp_path, prefect=prefect_down)
    async with client_for(env.app) as client:
        response = await client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["prefect"] == {"ok": False, "detail": "http://127.0.0.1:1/api unreachable: ConnectError"}
    assert body["store"]["ok"] is True
    assert body["last_poll_age_seconds"] is None


def test_stale_poll_fails_only_with_a_limit() -> None:
    ok = Check(ok=True)
    assert verdict(ok, ok, 900.0, None).status == "ok"
    stale = verdict(ok, ok, 900.0, 600.0)
    assert stale.status == "unavailable"
    assert "900 s ago" in stale.poll.detail
    assert verdict(ok, ok, None, 600.0).poll.detail == "no poll recorded yet"


async def test_prefect_probe_reports_a_closed_port() -> None:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    reason = await prefect_probe(f"http://127.0.0.1:{port}/api", timeout_s=1)()
    assert reason is not None
    assert "unreachable" in reason


def _families(text: str) -> dict[str, dict[tuple[str, tuple[tuple[str, str], ...]], float]]:
    out: dict[str, dict[tuple[str, tuple[tuple[str, str], ...]], float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out.setdefault(family.name, {})[(sample.name, tuple(sorted(sample.labels.items())))] = (
                sample.value
            )
    return out


async def test_metrics_come_from_the_store(tmp_path: Path) -> None:
    env: Env = build(tmp_path)
    run = env.store.start_sync_run("homelab", "c1", [])
    env.store.finish_sync_run(run, SyncOutcome.SUCCEEDED, {})
    env.store.open_alert("deploy:web", Severity.CRITICAL, "boom")
    env.store.put_resource("server", "beta", {"config": {}}, "c1", 0)
    dump = tmp_path / "backups" / format_stamp(datetime.now(UTC) - timedelta(hours=2))
    dump.mkdir(parents=True)
    (dump / MANIFEST_NAME).write_text("")
    async with client_for(env.app) as client:
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    m = _families(response.text)
    assert m["fleetflow_deploys"][("fleetflow_deploys", (("outcome", "good"),))] == 1
    assert m["fleetflow_deploys"][("fleetflow_deploys", (("outcome", "failed"),))] == 1
    hist = m["fleetflow_deploy_duration_seconds"]
    assert hist[("fleetflow_deploy_duration_seconds_count", ())] == 2
    assert hist[("fleetflow_deploy_duration_seconds_sum", ())] == pytest.approx(40)
    assert hist[("fleetflow_deploy_duration_seconds_bucket", (("le", "15.0"),))] == 0
    assert hist[("fleetflow_deploy_duration_seconds_bucket", (("le", "30.0"),))] == 2
    assert m["fleetflow_host_up"][("fleetflow_host_up", (("host", "alpha"),))] == 1
    assert m["fleetflow_host_up"][("fleetflow_host_up", (("host", "beta"),))] == 0
    assert m["fleetflow_open_alerts"][("fleetflow_open_alerts", (("severity", "critical"),))] == 1
    assert m["fleetflow_sync_runs"][("fleetflow_sync_runs", (("outcome", "succeeded"),))] == 1
    backup_age = m["fleetflow_last_backup_age_seconds"][("fleetflow_last_backup_age_seconds", ())]
    assert 7100 < backup_age < 7300
    assert 0 <= m["fleetflow_last_poll_age_seconds"][("fleetflow_last_poll_age_seconds", ())] < 60
    assert "python_gc" not in response.text  # a private registry, not the process-global one


def test_duration_histogram_is_cumulative() -> None:
    buckets, total = duration_histogram([0.5, 10, 1000])
    assert dict(buckets)["1.0"] == 1
    assert dict(buckets)["15.0"] == 2
    assert dict(buckets)["600.0"] == 2
    assert dict(buckets)["+Inf"] == 3
    assert total == pytest.approx(1010.5)


def test_deploys_since_reads_only_the_window(tmp_path: Path) -> None:
    env = build(tmp_path)
    now = datetime.now(UTC)
    old = now - timedelta(days=3)
    env.store.record_deploy("db", "alpha", "c0", "fp", DeployStatus.GOOD, old, old, {}, "")
    recent = deploys_since(env.store, now - timedelta(hours=1))
    assert sorted(d.status.value for d in recent) == ["failed", "good"]
    assert [round(d.seconds) for d in recent] == [20, 20]
    assert len(deploys_since(env.store, now - timedelta(days=7))) == 3
