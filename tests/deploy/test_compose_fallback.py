"""Without the ``docker compose`` plugin, fleetflow runs the Compose v2 it installed (and says so)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.fleet import container_ids, fleet_files, remove_projects

pytestmark = [pytest.mark.docker]


def test_reconcile_without_the_compose_plugin(
    tmp_path: Path, docker_hosts: dict[str, str], testbed_image: str
) -> None:
    host = docker_hosts["host3"]
    remove_projects(host, ["fallback"])
    repo = tmp_path / "repo"
    for rel, text in fleet_files({"h3": host}, testbed_image, stacks={"fallback": "h3"}).items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    no_plugins = tmp_path / "docker-config"  # a Docker config dir with no cli-plugins
    no_plugins.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_API_", "FLEETFLOW_"))}
    env["FLEETFLOW_PREFECT"] = "temporary"  # no local Prefect server left behind
    env |= {"FLEETFLOW_HOME": str(tmp_path / "home"), "DOCKER_CONFIG": str(no_plugins)}
    plugin = subprocess.run(["docker", "compose", "version"], env=env, capture_output=True, check=False)
    assert plugin.returncode != 0, "the test needs a docker CLI without the compose plugin"
    argv = [str(Path(sys.executable).parent / "fleetflow"), "reconcile", str(repo)]
    try:
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "using fleetflow's Compose v2" in done.stderr
        assert "docker-compose" in done.stderr
        assert list(container_ids(host, "fallback")) == ["app"]
    finally:
        remove_projects(host, ["fallback"])
