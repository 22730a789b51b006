"""``fleetflow status`` as a CLI process: exit 1 on an unreachable host, its full reason in ``--json``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.gitrepo import GitRemote

pytestmark = [pytest.mark.docker]

DARK = "unix:///nonexistent/fleetflow-status-test/docker.sock"


def fleetflow(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_API_", "FLEETFLOW_"))}
    env["FLEETFLOW_PREFECT"] = "temporary"  # no local Prefect server left behind
    env["FLEETFLOW_HOME"] = str(home)
    argv = [str(Path(sys.executable).parent / "fleetflow"), *args]
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_status_exits_1_on_an_unreachable_host_with_its_full_reason(
    tmp_path: Path, docker_hosts: dict[str, str]
) -> None:
    remote = GitRemote.create(tmp_path / "git")
    servers = (
        f'[[server]]\nname = "h1"\n[server.config]\naddress = "{docker_hosts["host1"]}"\n\n'
        f'[[server]]\nname = "dark"\n[server.config]\naddress = "{DARK}"\n'
    )
    remote.commit("servers", {"syncs/servers.toml": servers})
    home = tmp_path / "home"
    applied = fleetflow(home, "reconcile", str(remote.work))
    assert applied.returncode == 0, applied.stderr
    done = fleetflow(home, "status", "--json")
    assert done.returncode == 1, done.stderr
    result = json.loads(done.stdout)
    rows = {row["host"]: row for row in result["hosts"]}
    assert rows["h1"]["reachable"] is True
    assert rows["h1"]["reason"] == ""
    assert rows["dark"]["reachable"] is False
    assert "nonexistent/fleetflow-status-test" in rows["dark"]["reason"] or len(rows["dark"]["reason"]) > 64
    assert result["unreachable"] == ["dark"]
    only_h1 = fleetflow(home, "status", "--server", "h1")
    assert only_h1.returncode == 0, only_h1.stdout + only_h1.stderr
