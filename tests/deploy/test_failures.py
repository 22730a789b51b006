"""Failing deploys on a real daemon: compose errors leave things running, exits and unhealthy roll back."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleetflow.deploy import DeployStatus, deploy, deploy_if_changed, read_host_state
from fleetflow.errors import DeployFailed
from tests.deploy.conftest import SpecFactory, compose_yaml, container_ids

pytestmark = pytest.mark.docker


def stack(image: str, **services: str) -> dict[str, bytes]:
    return {"compose.yaml": compose_yaml(image, services or {"app": ""})}


async def test_broken_compose_file_fails_with_compose_message_and_leaves_old_running(
    host, history, make_spec: SpecFactory, project: str, testbed_image: str
) -> None:
    good = await deploy(host, make_spec(stack(testbed_image)), history)
    assert good.status is DeployStatus.GOOD, good.reason
    ids = container_ids(host, project)
    broken = {"compose.yaml": b"services:\n  app:\n    image: [unclosed\n"}
    result = await deploy_if_changed(host, make_spec(broken, commit="c2"), history)
    assert result.status is DeployStatus.FAILED
    assert result.reason.startswith("config failed: on host1: `docker compose")
    assert "exited 1" in result.reason
    assert "running containers left untouched" in result.reason
    assert container_ids(host, project) == ids
    on_disk = (Path(host.stacks_root) / project / "compose.yaml").read_bytes()
    assert on_disk == stack(testbed_image)["compose.yaml"], "the last good files are put back"
    with pytest.raises(DeployFailed, match="config failed"):
        result.raise_for_status()
    assert history.last_good(project) == good


@pytest.mark.parametrize(
    "bad_service",
    [
        pytest.param("command: [sh, -c, 'exit 3']", id="exits"),
        pytest.param(
            "healthcheck:\n  test: [CMD, 'false']\n  interval: 200ms\n  retries: 1\n  start_period: 0s",
            id="unhealthy",
        ),
    ],
)
async def test_failing_service_triggers_rollback_to_last_good(
    host, history, make_spec: SpecFactory, project: str, testbed_image: str, bad_service: str
) -> None:
    good = await deploy(host, make_spec(stack(testbed_image, app="", side="")), history)
    assert good.status is DeployStatus.GOOD, good.reason
    bad = make_spec(stack(testbed_image, app=bad_service, side=""), commit="c2")
    result = await deploy_if_changed(host, bad, history)
    assert result.status is DeployStatus.ROLLED_BACK, result.reason
    assert result.rolled_back_to == "c1"
    assert "service app" in result.reason
    state = (await read_host_state(host))[project]
    assert state["app"].state == "running"
    assert state["app"].fingerprint == good.service_fingerprints["app"]
    assert state["app"].commit == "c1"
    assert history.last_good(project) == good
    again = await deploy_if_changed(
        host, make_spec(stack(testbed_image, app="", side=""), commit="c3"), history
    )
    assert again.status is DeployStatus.SKIPPED, "the rolled-back version is the good one again"


async def test_first_deploy_that_fails_is_not_rolled_back(
    host, history, make_spec: SpecFactory, project: str, testbed_image: str
) -> None:
    result = await deploy(host, make_spec(stack(testbed_image, app="command: [sh, -c, 'exit 3']")), history)
    assert result.status is DeployStatus.FAILED
    assert result.rolled_back_to == ""
    assert "exit code 3" in result.reason
    assert history.last_good(project) is None


async def test_drifted_container_is_redeployed(
    host, history, make_spec: SpecFactory, project: str, testbed_image: str
) -> None:
    spec = make_spec(stack(testbed_image))
    assert (await deploy(host, spec, history)).status is DeployStatus.GOOD
    with host.docker() as client:
        client.containers.get(container_ids(host, project)["app"]).stop(timeout=0)
    result = await deploy_if_changed(host, spec, history)
    assert result.status is DeployStatus.GOOD
    assert result.reason.startswith("containers drifted: service app")
    assert [s.state for s in result.services] == ["running"]


async def test_project_rename_takes_the_old_project_down(
    host, history, make_spec: SpecFactory, project: str, testbed_image: str
) -> None:
    assert (await deploy(host, make_spec(stack(testbed_image)), history)).status is DeployStatus.GOOD
    renamed = make_spec(stack(testbed_image), project=f"{project}-new")
    result = await deploy_if_changed(host, renamed, history)
    assert result.status is DeployStatus.GOOD, result.reason
    state = await read_host_state(host)
    assert project not in state
    assert state[f"{project}-new"]["app"].state == "running"


@pytest.mark.parametrize(
    "late_failure",
    [
        pytest.param("command: [sh, -c, 'sleep 0.3; exit 4']", id="exits"),
        pytest.param("restart: always\ncommand: [sh, -c, 'sleep 0.3; exit 5']", id="restarts-in-place"),
    ],
)
async def test_a_service_failing_within_the_settle_window_is_caught(
    host, history, make_spec: SpecFactory, project: str, testbed_image: str, late_failure: str
) -> None:
    """It runs when ``up`` returns and fails 0.3 s after its start: the 3 s window still sees it."""
    good = await deploy(host, make_spec(stack(testbed_image, app="")), history)
    assert good.status is DeployStatus.GOOD, good.reason
    bad = make_spec(stack(testbed_image, app=late_failure), commit="c2", settle_s=3.0)
    result = await deploy_if_changed(host, bad, history)
    assert result.status is DeployStatus.ROLLED_BACK, result.reason
    assert "service app" in result.reason
    assert (await read_host_state(host))[project]["app"].commit == "c1"
