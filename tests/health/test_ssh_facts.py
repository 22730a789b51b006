"""The same facts over SSH (commands + pure parsers) as from the local engine."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from fleetflow.health import Target, collect_facts
from fleetflow.hosts import LocalHost
from fleetflow.hosts.connect import SshOptions, connect
from tests.health.conftest import RunService

pytestmark = [pytest.mark.ssh, pytest.mark.docker]


async def test_ssh_host_facts_match_the_local_engine(
    ssh_target: dict[str, Any],
    docker_hosts: dict[str, str],
    tmp_path: Path,
    run_service: RunService,
    project: str,
) -> None:
    run_service("app", host="host2")
    options = SshOptions(key_path=Path(ssh_target["client_key"]), known_hosts=Path(ssh_target["known_hosts"]))
    address = f"ssh://{ssh_target['user']}@{ssh_target['host']}:{ssh_target['port']}"
    ssh = connect(
        "edge", address, stacks_root=tmp_path, docker_host=docker_hosts["host2"], ssh_options=options
    )
    try:
        remote = await collect_facts(Target(ssh, ignore_mounts=("/srv",)), timeout=30)
    finally:
        await ssh.close()  # type: ignore[attr-defined]
    here = await collect_facts(
        Target(LocalHost("host2", stacks_root=tmp_path, docker_host=docker_hosts["host2"]))
    )
    assert remote.reachable, remote.error
    assert remote.engine_version == here.engine_version
    assert remote.compose_version == here.compose_version
    assert remote.load is not None
    assert remote.uptime_s is not None
    assert remote.cpu_percent is not None
    assert 0 < (remote.mem_percent or 0) < 100
    assert "/" in [m.mount for m in remote.mounts]
    assert remote.counts()[project] == {"running": 1}
    ids = {c.id for c in here.containers if c.project == project}
    assert {c.id for c in remote.containers if c.project == project} == ids


async def test_ssh_host_that_refuses_is_unreachable(ssh_target: dict[str, Any], tmp_path: Path) -> None:
    options = SshOptions(
        key_path=Path(ssh_target["client_key"]),
        known_hosts=Path(ssh_target["known_hosts"]),
        connect_timeout_s=3,
    )
    ssh = connect("dark", "ssh://root@127.0.0.1:1", stacks_root=tmp_path, ssh_options=options)
    facts = await asyncio.wait_for(collect_facts(Target(ssh), timeout=10), 15)
    assert not facts.reachable
    assert "SSH to dark" in facts.error
