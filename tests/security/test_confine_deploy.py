"""Findings 1-2: repository-named paths cannot make a real deploy read, write or delete outside
the stack's directory. Canary files and a canary folder outside the stacks root must survive."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fleetflow.deploy import DeployStatus, deploy
from tests.deploy.conftest import SpecFactory, compose_yaml
from tests.security.conftest import Canaries

pytestmark = pytest.mark.docker


def repo(image: str) -> dict[str, bytes]:
    return {"compose.yaml": compose_yaml(image, {"web": ""})}


async def test_env_file_path_outside_is_refused_and_nothing_is_deleted(
    host, history, make_spec: SpecFactory, canaries: Canaries, testbed_image: str
) -> None:
    hostile = [
        str(canaries.file),
        str(canaries.folder),
        "../../outside/canary.env",
        "../../outside/folder",
        "../../..",
        "../..",
        "..",
    ]
    for value in hostile:
        result = await deploy(host, make_spec(repo(testbed_image), env_file_path=value), history)
        assert result.status is DeployStatus.FAILED, value
        assert "env_file_path" in result.reason, result.reason
        assert repr(value) in result.reason, result.reason
        assert canaries.intact(), f"env_file_path={value!r} touched a canary"


async def test_env_files_outside_are_never_handed_to_compose(
    host, history, make_spec: SpecFactory, canaries: Canaries, testbed_image: str
) -> None:
    for value in (str(canaries.file), "../../outside/canary.env", "sub/../../../outside/canary.env"):
        spec = make_spec(repo(testbed_image), additional_env_files=(value,))
        result = await deploy(host, spec, history)
        assert result.status is DeployStatus.FAILED, value
        assert "additional_env_files" in result.reason, result.reason
        assert "do-not-leak" not in "\n".join(result.output_tail)
        assert not any("config" in line for line in result.durations), "compose must not have run"
    for value in ("../../outside/canary.env", str(canaries.file)):
        result = await deploy(host, make_spec(repo(testbed_image), file_paths=(value,)), history)
        assert result.status is DeployStatus.FAILED, result.reason
        assert "file_paths" in result.reason, result.reason
    assert canaries.intact()


async def test_symlinks_in_the_stack_dir_do_not_lead_out(
    host, history, make_spec: SpecFactory, project: str, canaries: Canaries, testbed_image: str
) -> None:
    stack_dir = Path(host.stacks_root) / project
    stack_dir.mkdir(parents=True)
    os.symlink(canaries.folder, stack_dir / "link")
    attempts = [
        make_spec(repo(testbed_image), env_file_path="link/inner.txt"),  # delete through a symlinked dir
        make_spec({**repo(testbed_image), "link/inner.txt": b"pwned\n"}),  # write through it
        make_spec(repo(testbed_image), additional_env_files=("link/inner.txt",)),  # read through it
    ]
    for spec in attempts:
        result = await deploy(host, spec, history)
        assert result.status is DeployStatus.FAILED, result.reason
        assert "symlink" in result.reason, result.reason
        assert canaries.intact()
    assert (stack_dir / "link").is_symlink()


async def test_a_symlink_as_the_env_file_is_removed_not_followed(
    host, history, make_spec: SpecFactory, project: str, canaries: Canaries, testbed_image: str
) -> None:
    stack_dir = Path(host.stacks_root) / project
    stack_dir.mkdir(parents=True)
    os.symlink(canaries.file, stack_dir / ".env")
    os.symlink(canaries.folder, stack_dir / "dir.env")
    result = await deploy(host, make_spec(repo(testbed_image)), history)
    assert result.status is DeployStatus.GOOD, result.reason
    assert not (stack_dir / ".env").is_symlink()
    result = await deploy(host, make_spec(repo(testbed_image), env_file_path="dir.env", commit="c2"), history)
    assert result.status is DeployStatus.GOOD, result.reason
    assert not (stack_dir / "dir.env").is_symlink()
    assert canaries.intact()


async def test_a_stack_dir_that_is_a_symlink_out_of_the_root_is_refused(
    host, history, make_spec: SpecFactory, project: str, canaries: Canaries, testbed_image: str
) -> None:
    Path(host.stacks_root).mkdir(parents=True)
    os.symlink(canaries.folder, Path(host.stacks_root) / project)
    result = await deploy(host, make_spec(repo(testbed_image)), history)
    assert result.status is DeployStatus.FAILED, result.reason
    assert "stack dir" in result.reason, result.reason
    assert canaries.intact()
