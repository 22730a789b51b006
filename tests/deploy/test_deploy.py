"""Deploys on a real test-bed Docker daemon: first deploy, skips, partial restarts, relative files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import SecretStr

from fleetflow.deploy import DeployStatus, Hook, deploy, deploy_if_changed, read_host_state
from fleetflow.deploy.output import MASK
from tests.deploy.conftest import SpecFactory, compose_yaml, container_env, container_ids

pytestmark = pytest.mark.docker

WEB = "environment:\n  GREETING: ${GREETING:-none}"
WORKER = "env_file: ../../config/common.env"


def files(image: str, common: bytes = b"MODE=one\n") -> dict[str, bytes]:
    return {
        "stacks/app/compose.yaml": compose_yaml(image, {"web": WEB, "worker": WORKER}),
        "config/common.env": common,
        "README.md": b"not read by compose, still part of the stack's inputs",
    }


async def test_first_deploy_then_unchanged_redeploy_is_a_skip(
    host, history, make_spec: SpecFactory, project: str, testbed_image: str
) -> None:
    lines: list[str] = []
    spec = make_spec(files(testbed_image), run_directory="stacks/app", environment={"GREETING": "hello"})
    first = await deploy_if_changed(host, spec, history, on_line=lines.append)
    assert first.status is DeployStatus.GOOD, first.reason
    assert first.reason.startswith("first deploy")
    assert {s.service for s in first.services} == {"web", "worker"}
    assert all(s.state == "running" for s in first.services)
    assert any("Started" in line for line in lines)
    env_file = Path(host.stacks_root) / project / "stacks/app/.env"
    assert env_file.read_text() == "GREETING=hello\n"
    assert env_file.stat().st_mode & 0o777 == 0o600
    assert container_env(host, project, "web")["GREETING"] == "hello"
    ids = container_ids(host, project)

    again = await deploy_if_changed(host, spec.model_copy(update={"commit": "c2"}), history)
    assert again.status is DeployStatus.SKIPPED
    assert again.reason.startswith("unchanged")
    assert again.fingerprint == first.fingerprint
    assert container_ids(host, project) == ids
    assert len(history.all(spec.stack)) == 1, "a skip must not be recorded as a deploy"

    state = (await read_host_state(host))[project]
    assert state["web"].fingerprint == first.service_fingerprints["web"]
    assert state["web"].commit == "c1"
    assert state["worker"].state == "running"


async def test_env_change_restarts_only_the_service_using_it(
    host, history, make_spec: SpecFactory, project: str, testbed_image: str
) -> None:
    spec = make_spec(files(testbed_image), run_directory="stacks/app", environment={"GREETING": "a"})
    assert (await deploy(host, spec, history)).status is DeployStatus.GOOD
    before = container_ids(host, project)
    changed = spec.model_copy(update={"environment": {"GREETING": "b"}, "commit": "c2"})
    result = await deploy_if_changed(host, changed, history)
    assert result.status is DeployStatus.GOOD, result.reason
    assert result.reason.startswith("inputs changed")
    after = container_ids(host, project)
    assert after["worker"] == before["worker"]
    assert after["web"] != before["web"]
    assert container_env(host, project, "web")["GREETING"] == "b"
    state = (await read_host_state(host))[project]
    assert (state["web"].commit, state["worker"].commit) == ("c2", "c1")


async def test_file_referenced_by_relative_path_redeploys(
    host, history, make_spec: SpecFactory, project: str, testbed_image: str
) -> None:
    spec = make_spec(files(testbed_image), run_directory="stacks/app")
    first = await deploy(host, spec, history)
    assert first.status is DeployStatus.GOOD, first.reason
    changed = make_spec(files(testbed_image, b"MODE=two\n"), commit="c2", run_directory="stacks/app")
    result = await deploy_if_changed(host, changed, history)
    assert result.status is DeployStatus.GOOD
    assert result.fingerprint != first.fingerprint
    assert container_env(host, project, "worker")["MODE"] == "two"


async def test_env_file_is_removed_when_environment_becomes_empty(
    host, history, make_spec: SpecFactory, project: str, testbed_image: str
) -> None:
    spec = make_spec(files(testbed_image), run_directory="stacks/app", environment={"GREETING": "x"})
    assert (await deploy(host, spec, history)).status is DeployStatus.GOOD
    env_file = Path(host.stacks_root) / project / "stacks/app/.env"
    assert env_file.exists()
    result = await deploy(host, spec.model_copy(update={"environment": {}}), history)
    assert result.status is DeployStatus.GOOD, result.reason
    assert not env_file.exists()
    assert container_env(host, project, "web")["GREETING"] == "none"


async def test_secrets_are_masked_in_streamed_output_and_results(
    host, history, make_spec: SpecFactory, testbed_image: str
) -> None:
    secret = "s3cr3t-Value-42"
    lines: list[str] = []
    spec = make_spec(
        files(testbed_image),
        run_directory="stacks/app",
        environment={"GREETING": secret},
        secret_values=(SecretStr(secret),),
        pre_deploy=Hook(command='echo "pre sees $GREETING"'),
        post_deploy=Hook(command="echo post-ran"),
    )
    result = await deploy(host, spec, history, on_line=lines.append)
    assert result.status is DeployStatus.GOOD, result.reason
    assert f"pre sees {MASK}" in lines
    assert "post-ran" in lines
    dumped = result.model_dump_json()
    assert secret not in dumped
    assert all(secret not in line for line in lines)
    assert secret not in repr(spec)


async def test_reclone_wipes_the_stack_dir_but_not_without_it(
    host, history, make_spec: SpecFactory, project: str, testbed_image: str
) -> None:
    spec = make_spec(files(testbed_image), run_directory="stacks/app")
    assert (await deploy(host, spec, history)).status is DeployStatus.GOOD
    stack_dir = Path(host.stacks_root) / project
    (stack_dir / "stacks/app/data.txt").write_text("bind-mount data")
    smaller = {k: v for k, v in spec.files.items() if k != "README.md"}
    assert (
        await deploy(host, make_spec(smaller, run_directory="stacks/app"), history)
    ).status.value == "good"
    assert (stack_dir / "stacks/app/data.txt").exists(), "untracked data survives a normal deploy"
    assert not (stack_dir / "README.md").exists(), "a file gone from the stack is removed"
    assert (await deploy(host, make_spec(smaller, run_directory="stacks/app", reclone=True), history)).reason
    assert not (stack_dir / "stacks/app/data.txt").exists()
    assert os.listdir(stack_dir / "stacks/app")
