"""Which connection each server gets for fleet operations (nothing is opened)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleetflow.fleetops.hosts import SshSettings, connect_agent_hosts, connect_fleet, has_agent
from fleetflow.hosts import LocalHost
from fleetflow.hosts.ssh import SshHost
from fleetflow.resources import Server, ServerConfig
from fleetflow.settings import Settings


def server(name: str, **config: str) -> Server:
    return Server(name=name, config=ServerConfig(**config))  # type: ignore[arg-type]


def test_fleet_connections_by_address(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLEETFLOW_SSH_KEY_PATH", str(tmp_path / "id"))
    monkeypatch.setenv("FLEETFLOW_SSH_DOCKER_HOST", "unix:///run/other.sock")
    servers = [server("edge", address="ssh://ops@10.0.0.5:2222"), server("box", address="unix:///run/d.sock")]
    hosts = connect_fleet(servers, Settings(home=tmp_path))
    edge, box = hosts["edge"], hosts["box"]
    assert isinstance(edge, SshHost)
    assert edge.docker_host == "unix:///run/other.sock"
    assert isinstance(box, LocalHost)
    assert box.docker_host == "unix:///run/d.sock"
    assert SshSettings().options().key_path == tmp_path / "id"
    assert [has_agent(s) for s in servers] == [False, True]


def test_agent_hosts_use_external_ssh_address(tmp_path: Path) -> None:
    servers = [server("a", external_address="ssh://ops@10.0.0.7"), server("b", external_address="nas.lan")]
    hosts = connect_agent_hosts(servers, Settings(home=tmp_path))
    assert isinstance(hosts["a"], SshHost)
    assert isinstance(hosts["b"], LocalHost)
