"""``fleetflow reconcile`` output as a user sees it (CLI process): one paragraph per problem, no
traceback without ``--debug``, the dry run's plan and the stacks it would deploy, one JSON document.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.fleet import compose, fleet_files, remove_projects
from tests.support.gitrepo import GitRemote

pytestmark = [pytest.mark.docker]

STACK_ON_DARK = '[[stack]]\nname = "web"\n[stack.config]\nserver = "dark"\nrun_directory = "web"\n'
CASES = Path(__file__).resolve().parents[1] / "cases"


def fleetflow(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PREFECT_API_", "PREFECT_LOGGING_", "FLEETFLOW_"))
    }
    env["FLEETFLOW_PREFECT"] = "temporary"  # no local Prefect server left behind
    env |= {"FLEETFLOW_HOME": str(home), "FLEETFLOW_DEPLOY_TIMEOUT_SECONDS": "15"}
    argv = [str(Path(sys.executable).parent / "fleetflow"), *args]
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600, check=False)


def test_broken_resources_one_paragraph_each_and_one_json_document(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(CASES / "homelab-broken-refs" / "repo", repo)
    plain = fleetflow(tmp_path / "home", "reconcile", str(repo), "--dry-run")
    assert plain.returncode == 1
    assert "Traceback" not in plain.stdout + plain.stderr
    assert "deploy rounds: None" not in plain.stdout
    assert re.match(r"error: \d+ problem\(s\) in resource files:\n  - ", plain.stderr), plain.stderr
    assert "stacks-vps.toml:4 [config.server]" in plain.stderr
    as_json = fleetflow(tmp_path / "home", "reconcile", str(repo), "--dry-run", "--json")
    assert as_json.returncode == 1
    assert "Traceback" not in as_json.stderr
    assert re.search(r"\d+ problem\(s\)", json.loads(as_json.stdout)["error"])
    debug = fleetflow(tmp_path / "home", "reconcile", str(repo), "--dry-run", "--debug")
    assert "Traceback" in debug.stderr


def test_dry_run_lists_what_would_deploy_and_a_failed_deploy_prints_no_traceback(
    tmp_path: Path, docker_hosts: dict[str, str], testbed_image: str
) -> None:
    host = docker_hosts["host2"]
    stacks = {"dryone": "h1", "drytwo": "h1"}
    remove_projects(host, list(stacks))
    remote = GitRemote.create(tmp_path / "git")
    remote.commit("two stacks", fleet_files({"h1": host}, testbed_image, stacks=stacks))
    home = tmp_path / "home"
    try:
        first = fleetflow(home, "reconcile", str(remote.work))
        assert first.returncode == 0, first.stdout + first.stderr
        remote.commit("dryone changes", {"stacks/dryone/compose.yaml": compose("sleep 4321", testbed_image)})
        plan = fleetflow(home, "reconcile", str(remote.work), "--dry-run", "--json")
        assert plan.returncode == 0, plan.stderr
        would = json.loads(plan.stdout)["stacks"]
        assert list(would) == ["dryone"]
        assert would["dryone"]["status"] == "would_deploy"
        assert would["dryone"]["host"] == "h1"
        assert "inputs changed" in would["dryone"]["reason"]
        table = fleetflow(home, "reconcile", str(remote.work), "--dry-run")
        assert table.returncode == 0, table.stderr
        assert "would_deploy" in table.stdout
        assert "dryone" in table.stdout
        assert "drytwo" not in table.stdout.split("stacks that would deploy")[1]

        remote.commit(
            "dryone breaks", {"stacks/dryone/compose.yaml": compose("sh -c 'exit 3'", testbed_image)}
        )
        failed = fleetflow(home, "reconcile", str(remote.work))
        assert failed.returncode == 1
        assert "Traceback" not in failed.stdout + failed.stderr
        errors = [line for line in failed.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1, failed.stderr
        assert "dryone" in errors[0]
    finally:
        remove_projects(host, list(stacks))


def test_a_stack_on_an_unreachable_host_carries_host_and_reason(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    files = {
        "syncs/servers.toml": '[[server]]\nname = "dark"\n[server.config]\naddress = "unix:///nonexistent/ff.sock"\n',
        "syncs/stacks.toml": STACK_ON_DARK,
        "web/compose.yaml": compose("sleep 100", "fleetflow/busybox:latest"),
    }
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    done = fleetflow(tmp_path / "home", "reconcile", str(repo), "--json")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    web = json.loads(done.stdout)["stacks"]["web"]
    assert web["status"] == "failed"
    assert web["host"] == "dark"
    assert "unreachable" in web["reason"]
    assert "/nonexistent/ff.sock" in web["reason"]
