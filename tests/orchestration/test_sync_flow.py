"""sync-resources and poll-repo end to end in one process: real git, real daemons, embedded store."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from fleetflow.errors import ResourceErrors
from fleetflow.runtime import context
from flows.poll_repo import poll_repo
from flows.sync_resources import sync_resources
from tests.support.fleet import compose, container_ids, fleet_files, remove_projects
from tests.support.gitrepo import GitRemote

pytestmark = [pytest.mark.docker, pytest.mark.prefect]

PROJECTS = ["alpha", "beta", "gamma"]


@pytest.fixture
def hosts(docker_hosts: dict[str, str]) -> Iterator[dict[str, str]]:
    fleet = {"h1": docker_hosts["host1"], "h2": docker_hosts["host2"]}
    for url in fleet.values():
        remove_projects(url, PROJECTS)
    yield fleet
    for url in fleet.values():
        remove_projects(url, PROJECTS)


def test_sync_deploys_then_redeploys_only_what_changed_then_deletes(
    prefect_harness: None, ff_home: Path, remote: GitRemote, hosts: dict[str, str], testbed_image: str
) -> None:
    remote.commit("fleet", fleet_files(hosts, testbed_image))
    first = asyncio.run(poll_repo(repo=remote.url, resource_paths=["syncs"]))
    stacks = first["sync"]["stacks"]
    assert {n: o["status"] for n, o in stacks.items()} == {"alpha": "good", "beta": "good", "gamma": "good"}
    assert first["sync"]["rounds"] == [["alpha", "beta"], ["gamma"]]
    before = {p: container_ids(hosts["h1" if p != "beta" else "h2"], p) for p in PROJECTS}
    assert all(before[p] for p in PROJECTS), before

    # a commit touching only beta's compose file redeploys beta alone; the others keep their containers
    remote.commit("beta sleeps longer", {"stacks/beta/compose.yaml": compose("sleep 7200", testbed_image)})
    second = asyncio.run(poll_repo(repo=remote.url, resource_paths=["syncs"]))
    assert set(second["sync"]["stacks"]) == {"beta"}
    assert second["sync"]["stacks"]["beta"]["status"] == "good"
    assert container_ids(hosts["h1"], "alpha") == before["alpha"]
    assert container_ids(hosts["h1"], "gamma") == before["gamma"]
    assert container_ids(hosts["h2"], "beta") != before["beta"]

    # nothing new: one fetch, no sync
    assert asyncio.run(poll_repo(repo=remote.url, resource_paths=["syncs"]))["changed"] is False

    # removing gamma from git with delete on destroys it on its host
    files = fleet_files(hosts, testbed_image, stacks={"alpha": "h1", "beta": "h2"})
    remote.remove("stacks/gamma")
    remote.commit("drop gamma", files)
    head = remote.commit("noop", {"README.md": "fleet\n"})
    third = asyncio.run(sync_resources(repo=remote.url, commit=head, resource_paths=["syncs"], delete=True))
    assert third["stacks"]["gamma"]["status"] == "destroyed"
    assert container_ids(hosts["h1"], "gamma") == {}
    assert container_ids(hosts["h1"], "alpha") == before["alpha"]
    assert context.store().get_resource("stack", "gamma") is None


def test_a_plan_with_errors_applies_nothing(
    prefect_harness: None, ff_home: Path, remote: GitRemote, hosts: dict[str, str], testbed_image: str
) -> None:
    remote.commit("fleet", fleet_files(hosts, testbed_image, stacks={"alpha": "h1"}))
    asyncio.run(sync_resources(repo=remote.url, resource_paths=["syncs"]))
    store = context.store()
    applied = store.get_resource("stack", "alpha")
    assert applied is not None
    bad = fleet_files(hosts, testbed_image, stacks={"alpha": "h1"})
    bad["syncs/stacks.toml"] = bad["syncs/stacks.toml"].replace('server = "h1"', 'server = "nowhere"')
    bad["syncs/more.toml"] = (
        '[[variable]]\nname = "X"\nvalue = "1"\n[[stack]]\nname = "broken"\n[stack.config]\n'
    )
    head = remote.commit("broken", bad)
    with pytest.raises(ResourceErrors) as caught:
        asyncio.run(sync_resources(repo=remote.url, commit=head, resource_paths=["syncs"]))
    text = str(caught.value)
    assert "syncs/stacks.toml:" in text
    assert "nowhere" in text
    assert len(caught.value.errors) >= 2, text
    assert store.get_resource("variable", "X") is None
    after = store.get_resource("stack", "alpha")
    assert after is not None
    assert after.revision == applied.revision


def test_no_secret_value_reaches_the_state_db_or_the_plan(
    prefect_harness: None,
    ff_home: Path,
    remote: GitRemote,
    hosts: dict[str, str],
    testbed_image: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    in_git, outside = "s3cr3t-in-git-4711", "s3cr3t-from-env-0815"
    monkeypatch.setenv("FLEETFLOW_SECRET_API_TOKEN", outside)
    files = fleet_files(hosts, testbed_image, stacks={"alpha": "h1"})
    files["syncs/stacks.toml"] = files["syncs/stacks.toml"].replace(
        'environment = "GREETING=hello alpha"', 'environment = "DB=[[DB_PASSWORD]]\\nTOKEN=[[API_TOKEN]]"'
    )
    files["syncs/variables.toml"] = (
        f'[[variable]]\nname = "DB_PASSWORD"\nvalue = "{in_git}"\nis_secret = true\n'
    )
    remote.commit("secrets", files)
    result = asyncio.run(sync_resources(repo=remote.url, resource_paths=["syncs"]))
    assert result["stacks"]["alpha"]["status"] == "good"
    store = context.store()
    for secret in (in_git, outside):
        assert not store.contains_text(secret), f"a secret value was stored: {secret[:4]}..."
        assert secret not in str(result)
    env_files = sorted((ff_home / "stacks" / "alpha").rglob(".env"))
    assert env_files, "no .env written for alpha"
    env_file = env_files[0]
    assert env_file.stat().st_mode & 0o777 == 0o600
    assert outside in env_file.read_text()


async def _deploy_run_tasks(stack: str, commit: str) -> tuple[list[str], list[str]]:
    """(tags, task run names) of the newest deploy-stack run of ``stack`` at ``commit``; task runs reach
    the API through events, so this waits (generously) until its ``deploy`` task run shows."""
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, FlowRunFilterName
    from prefect.client.schemas.sorting import FlowRunSort

    name = f"deploy {stack} @ h1 {commit[:7]}"
    async with get_client() as client:
        for _ in range(600):
            runs = await client.read_flow_runs(
                flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[name])),
                sort=FlowRunSort.START_TIME_DESC,
                limit=1,
            )
            if runs:
                tasks = await client.read_task_runs(
                    flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[runs[0].id]))
                )
                names = sorted(t.name.rsplit("-", 1)[0] for t in tasks)
                if "deploy" in names:
                    return list(runs[0].tags), names
            await asyncio.sleep(0.2)
    raise AssertionError(f"no deploy-stack run {name!r} with its deploy task run after 120 s")


def test_the_sync_hands_its_spec_to_deploy_stack_which_still_runs_on_its_own(
    prefect_harness: None, ff_home: Path, remote: GitRemote, hosts: dict[str, str], testbed_image: str
) -> None:
    from flows.deploy_stack import deploy_stack

    head = remote.commit("fleet", fleet_files(hosts, testbed_image, stacks={"alpha": "h1"}))
    synced = asyncio.run(sync_resources(repo=remote.url, resource_paths=["syncs"]))
    assert synced["stacks"]["alpha"]["status"] == "good"
    _, tasks = asyncio.run(_deploy_run_tasks("alpha", head))
    assert tasks == ["deploy"], "the subflow fetched, loaded or checked again what its sync had built"

    # run on its own (as from the UI), deploy-stack fetches, loads and builds the spec itself
    alone = asyncio.run(
        deploy_stack(
            repo=remote.url, stack="alpha", server="h1", commit=head, resource_paths=["syncs"], force=True
        )
    )
    assert alone["status"] == "good"
    _, tasks = asyncio.run(_deploy_run_tasks("alpha", head))
    assert "open-repo" in tasks
