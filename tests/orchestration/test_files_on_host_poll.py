"""files_on_host through poll-repo: an edit on the host is deployed by the next poll, without a commit."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.poll_repo import poll_repo
from tests.support.fleet import container_ids, remove_projects
from tests.support.gitrepo import GitRemote

pytestmark = [pytest.mark.docker, pytest.mark.prefect]


@pytest.fixture
def project(docker_hosts: dict[str, str]) -> Iterator[str]:
    name = f"onhost-{uuid.uuid4().hex[:8]}"
    yield name
    remove_projects(docker_hosts["host1"], [name])


def _compose(image: str, greeting: str) -> str:
    return (
        f"services:\n  app:\n    image: {image}\n    command: [sleep, '3600']\n"
        f"    environment: {{GREETING: {greeting}}}\n"
        f"  other:\n    image: {image}\n    command: [sleep, '3600']\n"
    )


def test_a_host_edit_is_deployed_by_the_next_poll(
    prefect_harness: None,
    ff_home: Path,
    remote: GitRemote,
    docker_hosts: dict[str, str],
    testbed_image: str,
    tmp_path: Path,
    project: str,
) -> None:
    url = docker_hosts["host1"]
    on_host = tmp_path / "on-host"
    on_host.mkdir()
    (on_host / "compose.yaml").write_text(_compose(testbed_image, "one"))
    remote.commit(
        "on-host stack",
        {
            "syncs/servers.toml": f'[[server]]\nname = "h1"\n[server.config]\naddress = "{url}"\n',
            "syncs/stacks.toml": f'[[stack]]\nname = "{project}"\ndeploy = true\n[stack.config]\n'
            f'server = "h1"\nfiles_on_host = true\nrun_directory = "{on_host}"\nauto_pull = false\n',
        },
    )
    first = asyncio.run(poll_repo(repo=remote.url, resource_paths=["syncs"]))
    assert first["sync"]["stacks"][project]["status"] == "good", first
    ids = container_ids(url, project)
    assert set(ids) == {"app", "other"}

    same = asyncio.run(poll_repo(repo=remote.url, resource_paths=["syncs"]))
    assert same["changed"] is False
    assert same["sync"]["stacks"][project]["status"] == "skipped", same
    assert container_ids(url, project) == ids

    (on_host / "compose.yaml").write_text(_compose(testbed_image, "two"))
    edited = asyncio.run(poll_repo(repo=remote.url, resource_paths=["syncs"]))
    assert edited["changed"] is False
    assert edited["sync"]["stacks"][project]["status"] == "good", edited
    after = container_ids(url, project)
    assert after["other"] == ids["other"]
    assert after["app"] != ids["app"]
