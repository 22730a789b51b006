"""Stack actions on a real daemon, with komodo.skip containers protected."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleetflow.deploy import Action, DeployStatus, deploy, read_host_state, run_action
from fleetflow.errors import CommandFailed
from tests.deploy.conftest import SpecFactory, compose_yaml

pytestmark = pytest.mark.docker


async def _deploy(host, history, make_spec: SpecFactory, image: str) -> None:
    files = {
        "compose.yaml": compose_yaml(image, {"app": "", "db": "", "keeper": "labels:\n  komodo.skip: 'yes'"})
    }
    assert (await deploy(host, make_spec(files), history)).status is DeployStatus.GOOD


async def test_stop_start_pause_restart_leave_skip_labelled_alone(
    host, history, make_spec: SpecFactory, project: str, testbed_image: str
) -> None:
    await _deploy(host, history, make_spec, testbed_image)
    stopped = await run_action(host, project, Action.STOP, stop_timeout=1)
    by_service = {s.service: s.state for s in stopped.services}
    assert by_service == {"app": "exited", "db": "exited", "keeper": "running"}
    started = await run_action(host, project, Action.START, services=["app"])
    assert {s.service: s.state for s in started.services}["app"] == "running"
    await run_action(host, project, Action.PAUSE)
    state = (await read_host_state(host))[project]
    assert (state["app"].state, state["keeper"].state) == ("paused", "running")
    await run_action(host, project, Action.UNPAUSE)
    only_skip = await run_action(host, project, Action.RESTART, services=["keeper"])
    assert only_skip.status is DeployStatus.SKIPPED


async def test_destroy_removes_everything_but_skip_labelled(
    host, history, make_spec: SpecFactory, project: str, testbed_image: str
) -> None:
    await _deploy(host, history, make_spec, testbed_image)
    result = await run_action(host, project, Action.DESTROY, stop_timeout=0, remove_volumes=True)
    assert [(s.service, s.state) for s in result.services] == [("keeper", "running")]
    forced = await run_action(host, project, Action.DESTROY, stop_timeout=0, include_skipped=True)
    assert forced.services == ()
    assert project not in await read_host_state(host)


async def test_pull_uses_the_files_of_the_last_deploy(
    host, history, make_spec: SpecFactory, project: str, testbed_image: str
) -> None:
    files = {"apps/x/compose.yaml": compose_yaml(testbed_image, {"app": ""})}
    assert (await deploy(host, make_spec(files, run_directory="apps/x"), history)).status is DeployStatus.GOOD
    lines: list[str] = []
    result = await run_action(host, project, Action.PULL, on_line=lines.append)
    assert result.status is DeployStatus.GOOD
    assert any("app" in line and "Pulling" in line for line in lines), lines


async def test_compose_error_carries_host_command_and_stderr(host, project: str) -> None:
    (Path(host.stacks_root) / project).mkdir(parents=True)  # a stack dir without compose files
    with pytest.raises(CommandFailed) as info:
        await run_action(host, project, Action.PULL, timeout=20)
    assert info.value.host == "host1"
    assert info.value.exit_status != 0
    assert info.value.command[:2] == ["docker", "compose"]
    assert info.value.stderr_tail
