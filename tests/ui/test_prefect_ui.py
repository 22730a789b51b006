"""The Prefect UI checked in a real browser: a real `prefect server start`, a sync and a health check
run against it, then headless Chromium renders the run and artifact pages and they must show the plan
and the fleet health table with their rows. Screenshots land in test-artifacts/ui/ (git-ignored)."""

from __future__ import annotations

import asyncio
import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest
from prefect import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey
from prefect.settings import PREFECT_API_URL, temporary_settings

from fleetflow.runtime import context
from flows.health_check import health_check
from flows.sync_resources import sync_resources
from tests.support.fleet import container_ids, fleet_files, remove_projects
from tests.support.gitrepo import GitRemote
from tests.support.processes import PrefectServer
from tests.ui.browser import Browser, row_with

pytestmark = [pytest.mark.e2e, pytest.mark.docker]

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "ui"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[PrefectServer]:
    """A real Prefect server (own SQLite DB) that this process's flow runs report to."""
    prefect = shutil.which("prefect", path=str(Path(sys.executable).parent))
    assert prefect is not None, "prefect CLI not found next to the interpreter"
    running = PrefectServer(home=tmp_path / "prefect").start(prefect)
    try:
        with temporary_settings({PREFECT_API_URL: running.api_url}):
            yield running
    finally:
        running.stop()


@pytest.fixture
def stack(docker_hosts: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A unique stack name for host1, fleetflow's home in tmp; the project is removed afterwards."""
    name = f"ui-{uuid.uuid4().hex[:6]}"
    monkeypatch.setenv("FLEETFLOW_HOME", str(tmp_path / "ff"))
    monkeypatch.setenv("FLEETFLOW_DEPLOY_TIMEOUT_SECONDS", "60")
    context.reset()
    try:
        yield name
    finally:
        remove_projects(docker_hosts["host1"], [name])
        context.reset()


async def artifact_id(flow_run_id: UUID, key: str) -> UUID:
    """The id of the artifact ``key`` that a flow run created."""
    async with get_client() as client:
        found = await client.read_artifacts(
            artifact_filter=ArtifactFilter(
                flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]), key=ArtifactFilterKey(any_=[key])
            )
        )
    assert found, f"flow run {flow_run_id} created no {key!r} artifact"
    return found[0].id


def filled(row: list[str]) -> bool:
    """A row that rendered every cell (the UI fills a table in more than one pass)."""
    return bool(row) and all(row)


async def run_ids(host1: str, image: str, stack: str, tmp_path: Path) -> dict[str, UUID]:
    """Sync a one-stack fleet from a real git repo, then a health check; their run and artifact ids."""
    files = fleet_files({"host1": host1}, image, stacks={stack: "host1"})
    # the image is local; no pull is attempted (the test bed has no outside network)
    files["syncs/stacks.toml"] = files["syncs/stacks.toml"].replace(
        "run_directory", "auto_pull = false\nrun_directory"
    )
    remote = GitRemote.create(tmp_path / "git")
    remote.commit("one stack on host1", files)
    sync = await sync_resources(repo=remote.url, resource_paths=["syncs"], return_state=True)
    assert sync.is_completed(), sync
    assert (await sync.aresult())["stacks"][stack]["status"] == "good"
    assert container_ids(host1, stack), f"{stack} is not running on host1"
    health = await health_check(servers=["host1"], check_updates=False, return_state=True)
    assert health.is_completed(), health
    assert (await health.aresult())["reachable"] == 1
    sync_run, health_run = sync.state_details.flow_run_id, health.state_details.flow_run_id
    assert sync_run is not None
    assert health_run is not None
    return {
        "sync": sync_run,
        "health": health_run,
        "plan": await artifact_id(sync_run, "sync-plan"),
        "fleet": await artifact_id(health_run, "fleet-health"),
    }


def test_plan_and_fleet_health_render_in_the_prefect_ui(
    chromium_bin: str,
    docker_hosts: dict[str, str],
    testbed_image: str,
    stack: str,
    server: PrefectServer,
    tmp_path: Path,
) -> None:
    ids = asyncio.run(run_ids(docker_hosts["host1"], testbed_image, stack, tmp_path))
    ui = server.ui_url
    with Browser(chromium_bin, tmp_path / "chromium") as browser:
        # the sync's run page: state, flow, and the plan log line naming the stack's deploy round
        browser.open(f"{ui}/runs/flow-run/{ids['sync']}")
        text = browser.wait_for(lambda t: "Completed" in t and f"[['{stack}']]" in t, "sync run page")
        assert "sync remote.git" in text
        assert "sync-resources" in text
        browser.screenshot(SHOTS / "sync-run.png")
        browser.click("Artifacts")
        text = browser.wait_for(lambda t: "sync-outcome" in t, "sync run artifacts tab")
        assert "sync-plan" in text
        assert "2 to create" in text
        browser.screenshot(SHOTS / "sync-run-artifacts.png")

        # the plan artifact: one row per resource, the stack and its server created
        browser.open(f"{ui}/artifacts/artifact/{ids['plan']}")
        rows = browser.wait_for_rows(lambda r: bool(row_with(r, stack)), "plan artifact table")
        assert row_with(rows, "kind", "name", "action", "reason"), rows
        assert row_with(rows, "stack", stack, "create"), rows
        assert row_with(rows, "server", "host1", "create"), rows
        browser.screenshot(SHOTS / "sync-plan.png")

        # the health check's run page and its fleet health table
        browser.open(f"{ui}/runs/flow-run/{ids['health']}")
        text = browser.wait_for(lambda t: "health: 1/1 reachable" in t, "health run page")
        assert "Completed" in text
        assert "health-check" in text
        browser.screenshot(SHOTS / "health-run.png")
        browser.open(f"{ui}/artifacts/artifact/{ids['fleet']}")
        # every cell but the last (``reason``, empty for a reachable host) rendered
        rows = browser.wait_for_rows(
            lambda r: filled(row_with(r, "host1", "true")[:-1]), "fleet health table row"
        )
        header = row_with(rows, "host", "reachable", "engine", "containers", "drift", "alerts", "reason")
        assert header, rows
        row = dict(zip(header, row_with(rows, "host1"), strict=True))
        assert row["reachable"] == "true", row
        assert row["engine"] not in ("", "-"), row
        running, _, total = row["containers"].partition("/")
        assert 1 <= int(running) <= int(total), row
        assert "1/1 hosts reachable" in browser.text()
        browser.screenshot(SHOTS / "fleet-health.png")
