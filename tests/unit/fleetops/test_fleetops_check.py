"""fleet-check rules (pure): facts, probe and agent in -> status and reasons out."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from prefect.client.schemas.objects import Worker, WorkerStatus

from fleetflow.fleetops.check import CheckStatus, HostCheck, Thresholds, check_rows, evaluate
from fleetflow.fleetops.prefect_api import AgentInfo, AgentState, agent_from_workers
from fleetflow.fleetops.probe import Probe, parse_epoch, skew_from
from fleetflow.health import Container, ContainerState, HostFacts, Mount
from fleetflow.resources import Reach, ServerConfig

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
ONLINE = AgentInfo(state=AgentState.ONLINE, workers=("agent-a",), last_heartbeat=NOW)
GOOD_PROBE = Probe(reachable=True, latency_ms=3.0, skew_s=0.01, rtt_ms=3.0)


def facts(**changes: object) -> HostFacts:
    base = HostFacts(host="a", reachable=True, engine_version="20.10", cpu_percent=5, mem_percent=20)
    return base.model_copy(update=changes)


def check(
    f: HostFacts | None = None,
    probe: Probe = GOOD_PROBE,
    agent: AgentInfo = ONLINE,
    failures: tuple[str, ...] = (),
    config: ServerConfig | None = None,
) -> HostCheck:
    return evaluate("a", config or ServerConfig(), f or facts(), probe, agent, failures, Thresholds())


def test_healthy_host_is_ok() -> None:
    result = check()
    assert (result.status, result.reasons, result.reach) == (CheckStatus.OK, (), Reach.LOCAL)


@pytest.mark.parametrize(
    ("kwargs", "status", "reason"),
    [
        ({"probe": Probe(reachable=False, error="no answer within 5 s")}, CheckStatus.FAIL, "unreachable"),
        ({"f": facts(reachable=False, error="engine down")}, CheckStatus.FAIL, "docker: engine down"),
        ({"probe": GOOD_PROBE.model_copy(update={"skew_s": -45.0})}, CheckStatus.FAIL, "clock skew -45.0 s"),
        ({"probe": GOOD_PROBE.model_copy(update={"skew_s": 3.2})}, CheckStatus.WARN, "clock skew +3.2 s"),
        ({"probe": GOOD_PROBE.model_copy(update={"latency_ms": 900.0})}, CheckStatus.WARN, "latency 900 ms"),
        ({"f": facts(cpu_percent=99.5)}, CheckStatus.FAIL, "cpu 100% >= 99%"),
        ({"f": facts(mem_percent=80)}, CheckStatus.WARN, "mem 80% >= 75%"),
        ({"agent": AgentInfo(state=AgentState.OFFLINE, detail="x")}, CheckStatus.FAIL, "agent offline"),
        ({"agent": AgentInfo(state=AgentState.MISSING, detail="x")}, CheckStatus.WARN, "agent missing"),
        ({"agent": AgentInfo(state=AgentState.NONE)}, CheckStatus.OK, ""),
        ({"failures": ("deploy x",)}, CheckStatus.WARN, "1 failed run(s)"),
    ],
)
def test_each_finding_has_its_level(kwargs: dict[str, object], status: CheckStatus, reason: str) -> None:
    result = check(**kwargs)  # type: ignore[arg-type]
    assert result.status is status
    assert reason in "; ".join(result.reasons)


def test_containers_and_disk_and_worst_level_wins() -> None:
    disk = Mount(mount="/", total_bytes=100, used_bytes=97, percent=97.0)
    f = facts(
        containers=(
            Container(id="1", name="web", state=ContainerState.RESTARTING),
            Container(id="2", name="db", state=ContainerState.UNHEALTHY),
            Container(id="3", name="ok", state=ContainerState.RUNNING),
        ),
        mounts=(disk,),
    )
    result = check(f, config=ServerConfig(disk_critical=96))
    assert result.status is CheckStatus.FAIL
    assert (result.restarting, result.unhealthy, result.running) == (("web",), ("db",), 1)
    assert "disk 97% >= 96%" in result.reasons
    row = check_rows([result])[0]
    assert (row["status"], row["containers"], row["disk"], row["agent"]) == ("fail", "1/3", "97%", "online")


def test_parse_epoch_and_skew() -> None:
    assert parse_epoch("1717243200.250000000\n") == pytest.approx(1717243200.25)
    assert parse_epoch("1717243200.N") == 1717243200.0
    with pytest.raises(ValueError, match="epoch"):
        parse_epoch("Sat Jun 1")
    assert skew_from(105.0, 100.0, 100.2) == pytest.approx(4.9)


def worker(name: str, status: WorkerStatus, beat: datetime | None) -> Worker:
    return Worker(
        id=uuid.uuid4(), name=name, work_pool_id=uuid.uuid4(), status=status, last_heartbeat_time=beat
    )


def test_agent_from_workers() -> None:
    assert agent_from_workers([], NOW, 120).state is AgentState.MISSING
    fresh = worker("agent-a", WorkerStatus.ONLINE, NOW - timedelta(seconds=30))
    stale = worker("old", WorkerStatus.ONLINE, NOW - timedelta(minutes=10))
    down = worker("down", WorkerStatus.OFFLINE, NOW - timedelta(seconds=5))
    online = agent_from_workers([stale, fresh], NOW, 120)
    assert (online.state, online.workers, online.last_heartbeat) == (
        AgentState.ONLINE,
        ("agent-a", "old"),
        fresh.last_heartbeat_time,
    )
    offline = agent_from_workers([stale, down], NOW, 120)
    assert offline.state is AgentState.OFFLINE
    assert offline.detail == "last heartbeat 5 s ago"
