"""``fleetflow reconcile`` as a process: a local Prefect server started once, reused, stopped."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.fleet import container_ids, fleet_files, remove_projects
from tests.support.gitrepo import GitRemote

pytestmark = [pytest.mark.prefect, pytest.mark.docker]

FLEETFLOW = str(Path(sys.executable).parent / "fleetflow")


def run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600, check=False)


def test_reconcile_reuses_one_local_prefect_server(
    tmp_path: Path, docker_hosts: dict[str, str], testbed_image: str
) -> None:
    url = docker_hosts["host1"]
    remove_projects(url, ["alpha"])
    remote = GitRemote.create(tmp_path / "git")
    remote.commit("fleet", fleet_files({"h1": url}, testbed_image, stacks={"alpha": "h1"}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env |= {"FLEETFLOW_HOME": str(tmp_path / "home"), "PREFECT_HOME": str(tmp_path / "prefect-client")}
    try:
        first = run([FLEETFLOW, "reconcile", remote.url, "--json"], env)
        assert first.returncode == 0, first.stderr[-3000:]
        assert "started now" in first.stderr
        ids = container_ids(url, "alpha")
        assert ids

        second = run([FLEETFLOW, "reconcile", remote.url, "--json"], env)
        assert second.returncode == 0, second.stderr[-3000:]
        assert "reused" in second.stderr
        assert (tmp_path / "home" / "prefect-server" / "last-used").exists()  # the idle timeout's stamp
        assert container_ids(url, "alpha") == ids  # nothing changed, nothing restarted

        status = run([FLEETFLOW, "prefect-server", "status"], env)
        assert status.returncode == 0
        assert status.stdout.startswith("http://127.0.0.1:")
    finally:
        stopped = run([FLEETFLOW, "prefect-server", "stop"], env)
        remove_projects(url, ["alpha"])
    assert stopped.stdout.strip() == "stopped"
    assert run([FLEETFLOW, "prefect-server", "status"], env).returncode == 1
