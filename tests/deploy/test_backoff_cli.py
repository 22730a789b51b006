"""After a rollback the same inputs back off (CLI process, real Docker): held on the next run, shown by
``status``, retried at once with ``--force`` or when the inputs change.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.fleet import compose, fleet_files, remove_projects
from tests.support.gitrepo import GitRemote

pytestmark = [pytest.mark.docker]


def fleetflow(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    drop = ("PREFECT_API_", "PREFECT_LOGGING_", "FLEETFLOW_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env["FLEETFLOW_PREFECT"] = "temporary"  # no local Prefect server left behind
    env |= {"FLEETFLOW_HOME": str(home), "FLEETFLOW_DEPLOY_TIMEOUT_SECONDS": "15"}
    argv = [str(Path(sys.executable).parent / "fleetflow"), *args]
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600, check=False)


def outcome(done: subprocess.CompletedProcess[str], stack: str) -> dict[str, str]:
    found: dict[str, str] = json.loads(done.stdout)["stacks"][stack]
    return found


def test_a_rolled_back_stack_backs_off_until_forced_or_changed(
    tmp_path: Path, docker_hosts: dict[str, str], testbed_image: str
) -> None:
    host = docker_hosts["host3"]
    remove_projects(host, ["bo"])
    remote = GitRemote.create(tmp_path / "git")
    remote.commit("good", fleet_files({"h3": host}, testbed_image, stacks={"bo": "h3"}))
    home, repo = tmp_path / "home", str(remote.work)
    try:
        assert fleetflow(home, "reconcile", repo, "--json").returncode == 0
        remote.commit("broken", {"stacks/bo/compose.yaml": compose("sh -c 'exit 3'", testbed_image)})
        failed = fleetflow(home, "reconcile", repo, "--json")
        assert failed.returncode == 1, failed.stderr
        assert outcome(failed, "bo")["status"] in {"rolled_back", "failed"}

        held = fleetflow(home, "reconcile", repo, "--json")
        assert held.returncode == 0, held.stderr
        assert outcome(held, "bo")["status"] == "skipped"
        assert outcome(held, "bo")["reason"].startswith("backing off after 1 failed deploy(s)")
        status = fleetflow(home, "status", "--json")
        assert json.loads(status.stdout)["backoff"]["bo"]["failures"] == 1

        forced = fleetflow(home, "reconcile", repo, "--json", "--force")
        assert forced.returncode == 1
        assert outcome(forced, "bo")["status"] in {"rolled_back", "failed"}

        remote.commit("fixed", {"stacks/bo/compose.yaml": compose("sleep 2345", testbed_image)})
        fixed = fleetflow(home, "reconcile", repo, "--json")
        assert fixed.returncode == 0, fixed.stderr
        assert outcome(fixed, "bo")["status"] == "good"
    finally:
        remove_projects(host, ["bo"])
