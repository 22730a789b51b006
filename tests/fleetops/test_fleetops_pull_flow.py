"""pull-all-hosts end to end: real git checkouts "on" an SSH host (the test-bed sshd) and local hosts."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from fleetflow.cli.fleet import EXIT_NOT_OK, fleet_app
from flows.pull_all_hosts import pull_all_hosts
from tests.fleetops.conftest import AddServer, artifact_table, run_state
from tests.support.gitrepo import GitRemote, git

pytestmark = [pytest.mark.ssh, pytest.mark.prefect]


@pytest.fixture
def fleet(
    prefect_harness: None, add_server: AddServer, ssh_env: None, ssh_address: str, tmp_path: Path
) -> dict[str, Any]:
    """Servers edge (SSH), core and div (local), lost (no checkout); checkouts at tmp/<server>/repo."""
    remote = GitRemote.create(tmp_path / "git")
    first = remote.commit("one", {"README": "one"})
    for server in ("edge", "core", "div"):
        git(tmp_path, "clone", "-q", "-b", "main", remote.url, str(tmp_path / server / "repo"))
    (tmp_path / "div" / "repo" / "local.txt").write_text("mine")
    git(tmp_path / "div" / "repo", "add", "-A")
    git(
        tmp_path / "div" / "repo",
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@x.invalid",
        "commit",
        "-qm",
        "local",
    )
    second = remote.commit("two", {"compose.yaml": "services: {}\n"})
    git(tmp_path / "core" / "repo", "pull", "-q", "--ff-only")
    add_server("edge", address=ssh_address)
    for server in ("core", "div", "lost"):
        add_server(server)
    return {"first": first, "second": second, "path": str(tmp_path / "{server}" / "repo"), "root": tmp_path}


def test_each_host_gets_its_own_result_and_a_table(fleet: dict[str, Any]) -> None:
    state = run_state(pull_all_hosts(path=fleet["path"], timeout_s=30, return_state=True))
    result = state.result()
    by_server = {r["server"]: r for r in result["results"]}
    assert by_server["edge"]["status"] == "updated"
    assert (by_server["edge"]["from_commit"], by_server["edge"]["to_commit"]) == (
        fleet["first"],
        fleet["second"],
    )
    assert git(fleet["root"] / "edge" / "repo", "rev-parse", "HEAD") == fleet["second"]
    assert by_server["core"]["status"] == "up_to_date"
    assert by_server["div"]["status"] == "diverged"
    assert "1 local commit(s)" in by_server["div"]["detail"]
    assert git(fleet["root"] / "div" / "repo", "log", "-1", "--format=%s") == "local"  # never merged or reset
    assert by_server["lost"]["status"] == "failed"
    assert str(fleet["root"] / "lost" / "repo") in by_server["lost"]["path"]
    assert result["counts"] == {"updated": 1, "up_to_date": 1, "diverged": 1, "failed": 1}
    assert result["ok"] is False
    rows = asyncio.run(artifact_table(state.state_details.flow_run_id, "pull-all-hosts"))
    assert sorted((r["server"], r["status"]) for r in rows) == [
        ("core", "up_to_date"), ("div", "diverged"), ("edge", "updated"), ("lost", "failed"),
    ]  # fmt: skip


def test_cli_pull_exit_status(fleet: dict[str, Any]) -> None:
    runner = CliRunner()
    ok = runner.invoke(fleet_app, ["pull", "--path", fleet["path"], "-s", "core", "-s", "edge", "--json"])
    assert ok.exit_code == 0, ok.output
    assert '"ok": true' in ok.output
    bad = runner.invoke(fleet_app, ["pull", "--path", fleet["path"], "-s", "div"])
    assert bad.exit_code == EXIT_NOT_OK
    assert "diverged" in bad.output
