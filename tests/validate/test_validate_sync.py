"""Validation inside sync-resources, and the validate flow: real git, real daemons, Prefect harness.

An invalid stack is not deployed while the valid one is; ``strict`` applies nothing; the dry run
shows the invalid stack with its first error; the validate flow adds the host checks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from fleetflow.errors import FleetflowError
from fleetflow.runtime import context
from fleetflow.validate.gate import StacksInvalid
from flows.sync_resources import sync_resources
from flows.validate import validate
from tests.support.fleet import container_ids, fleet_files, remove_projects
from tests.support.gitrepo import GitRemote

pytestmark = [pytest.mark.docker, pytest.mark.prefect]

PROJECTS = ["alpha", "beta"]
BROKEN = "services:\n  app:\n    image: {image}\n    command: sleep 3600\n    networks: [front]\n"


@pytest.fixture
def hosts(docker_hosts: dict[str, str]) -> Iterator[dict[str, str]]:
    fleet = {"h1": docker_hosts["host1"], "h2": docker_hosts["host2"]}
    for url in fleet.values():
        remove_projects(url, PROJECTS)
    yield fleet
    for url in fleet.values():
        remove_projects(url, PROJECTS)


def _files(hosts: dict[str, str], image: str) -> dict[str, str]:
    files = fleet_files(hosts, image, stacks={"alpha": "h1", "beta": "h2"})
    files["stacks/beta/compose.yaml"] = BROKEN.format(image=image)
    return files


def test_an_invalid_stack_is_not_deployed_and_the_others_are(
    prefect_harness: None, ff_home: Path, remote: GitRemote, hosts: dict[str, str], testbed_image: str
) -> None:
    head = remote.commit("beta is broken", _files(hosts, testbed_image))
    dry = asyncio.run(sync_resources(repo=remote.url, commit=head, resource_paths=["syncs"], dry_run=True))
    assert set(dry["invalid"]) == {"beta"}
    assert dry["invalid"]["beta"].startswith("stacks/beta/compose.yaml:5: service 'app' uses network 'front'")
    assert "beta" not in [s for r in dry["rounds"] for s in r]
    assert {"kind": "stack", "name": "beta", "action": "invalid"}.items() <= next(
        r for r in dry["plan"] if r["action"] == "invalid"
    ).items()
    assert "1 invalid stack(s)" in dry["error"]

    with pytest.raises(StacksInvalid, match="strict sync, nothing applied"):
        asyncio.run(sync_resources(repo=remote.url, commit=head, resource_paths=["syncs"], strict=True))
    assert context.store().get_resource("stack", "alpha") is None
    assert container_ids(hosts["h1"], "alpha") == {}

    with pytest.raises(FleetflowError, match="1 of 2 stack"):
        asyncio.run(sync_resources(repo=remote.url, commit=head, resource_paths=["syncs"]))
    assert container_ids(hosts["h1"], "alpha"), "the valid stack was not deployed"
    assert container_ids(hosts["h2"], "beta") == {}, "an invalid stack reached its host"
    runs = context.store().sync_runs(remote.url, limit=1)
    assert runs
    assert runs[0].stacks == {"alpha": "good", "beta": "invalid"}
    assert context.store().get_resource("stack", "beta") is None, "an invalid stack's config was applied"


def test_the_validate_flow_runs_offline_and_host_checks(
    prefect_harness: None, ff_home: Path, remote: GitRemote, hosts: dict[str, str], testbed_image: str
) -> None:
    files = _files(hosts, testbed_image)
    files["stacks/alpha/compose.yaml"] += (
        "networks:\n  default:\n    external: true\n    name: ffv-missing-net\n"
    )
    head = remote.commit("two problems", files)
    result = asyncio.run(
        validate(repo=remote.url, commit=head, resource_paths=["syncs"], raise_on_error=False)
    )
    got = {(f["check"], f["stack"], f["where"]) for f in result["findings"]}
    assert got == {
        ("networks", "beta", "stacks/beta/compose.yaml:5"),
        ("host.network", "alpha", "stacks/alpha/compose.yaml:7"),
    }
    assert result["ok"] is False
    with pytest.raises(FleetflowError, match="invalid: alpha, beta"):
        asyncio.run(validate(repo=remote.url, commit=head, resource_paths=["syncs"]))
