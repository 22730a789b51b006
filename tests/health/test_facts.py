"""Facts from the real test-bed daemons (local engine), an unreachable one, and drift after a kill."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import docker
import pytest

from fleetflow.health import (
    ContainerState,
    DriftKind,
    Expected,
    Target,
    collect_facts,
    collect_fleet,
    find_drift,
)
from fleetflow.hosts import LocalHost
from tests.health.conftest import RunService

pytestmark = pytest.mark.docker


def local(name: str, url: str, tmp_path: Path) -> LocalHost:
    return LocalHost(name, stacks_root=tmp_path, docker_host=url)


async def test_fleet_round_with_an_unreachable_host(docker_hosts: dict[str, str], tmp_path: Path) -> None:
    targets = [Target(local(n, u, tmp_path)) for n, u in sorted(docker_hosts.items())]
    targets.append(Target(local("gone", f"unix://{tmp_path}/nothing.sock", tmp_path)))
    facts = await collect_fleet(targets, timeout=20)
    assert [f.host for f in facts] == ["host1", "host2", "host3", "gone"]
    for f in facts[:3]:
        assert f.reachable, f.error
        assert f.engine_version == "20.10.24+dfsg1"
        assert f.compose_version.startswith("2.")
        assert f.mounts
        assert f.cpu_percent is not None
        assert 0 < (f.mem_percent or 0) < 100
        assert f.uptime_s is not None
    gone = facts[3]
    assert not gone.reachable
    assert "nothing.sock" in gone.error
    assert gone.cpu_percent is not None  # the machine's own facts are still read


async def test_ignore_mounts_and_no_stats(docker_hosts: dict[str, str], tmp_path: Path) -> None:
    host = local("host1", docker_hosts["host1"], tmp_path)
    facts = await collect_facts(Target(host, ignore_mounts=("/",)))
    assert "/" not in [m.mount for m in facts.mounts]
    bare = await collect_facts(Target(host, stats=False))
    assert bare.reachable
    assert bare.cpu_percent is None
    assert bare.mounts == ()


async def test_per_host_timeout_is_a_fact(docker_hosts: dict[str, str], tmp_path: Path) -> None:
    facts = await collect_facts(Target(local("host1", docker_hosts["host1"], tmp_path)), timeout=0.01)
    assert not facts.reachable
    assert "no answer within" in facts.error


async def test_kill_a_container_reports_drift(
    docker_hosts: dict[str, str], tmp_path: Path, run_service: RunService, project: str
) -> None:
    app = run_service("app")
    run_service("db", fingerprint="edited-by-hand")
    run_service("other", project_name=f"{project}-extra")
    host = local("host1", docker_hosts["host1"], tmp_path)
    expected = [Expected(stack="web", server="host1", project=project, services={"app": "fp1", "db": "fp1"})]
    ours = {project, f"{project}-extra"}

    before = await collect_facts(Target(host, stats=False))
    mine = [c for c in before.containers if c.project in ours]
    kinds = {(r.kind, r.service) for r in find_drift("host1", expected, mine)}
    assert kinds == {(DriftKind.FINGERPRINT_MISMATCH, "db"), (DriftKind.EXTRA_PROJECT, "")}

    with closing(docker.DockerClient(base_url=docker_hosts["host1"])) as client:
        client.containers.get(app).kill()
    after = await collect_facts(Target(host, stats=False))
    counts = after.counts()[project]
    assert counts == {"exited": 1, "running": 1}
    mine = [c for c in after.containers if c.project in ours]
    (stopped,) = [r for r in find_drift("host1", expected, mine) if r.kind is DriftKind.STOPPED_SERVICE]
    assert stopped.service == "app"
    assert "exit code 137" in stopped.detail
    assert next(c for c in mine if c.service == "app").state is ContainerState.EXITED
