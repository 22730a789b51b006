"""sync-resources keeps resource-file warnings (result, log, artifact) and a dry run writes nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from prefect import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from prefect.client.schemas.sorting import ArtifactSort

from fleetflow.errors import ResourceErrors
from fleetflow.git import redact_url
from fleetflow.runtime import context
from flows.sync_resources import sync_resources
from tests.support.gitrepo import GitRemote

pytestmark = [pytest.mark.prefect]

FILES = {
    "syncs/servers.toml": '[[server]]\nname = "h1"\n[server.config]\nauto_prune = false\n',
    "syncs/stacks.toml": (
        '[[deployment]]\nname = "postgres-db"\n\n[[deployment]]\nname = "redis"\n\n'
        '[[stack]]\nname = "web"\nafter = ["postgres-db"]\n[stack.config]\nserver = "h1"\n'
        'run_directory = "web"\nenvironment = """\nIMMICH_VERSION:  release\n"""\n'
    ),
    "web/compose.yaml": "services:\n  web:\n    image: fleetflow/busybox:latest\n",
}


async def _artifact(key: str) -> str:
    async with get_client() as client:
        found = await client.read_artifacts(  # the newest: other tests in this session write the key too
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])),
            sort=ArtifactSort.CREATED_DESC,
            limit=1,
        )
    assert found, f"no {key} artifact"
    return str(found[0].data)


def test_dry_run_carries_warnings_and_writes_nothing(
    prefect_harness: None, ff_home: Path, remote: GitRemote
) -> None:
    remote.commit("komodo repo", FILES)
    result = asyncio.run(sync_resources(repo=remote.url, resource_paths=["syncs"], dry_run=True))
    warnings = result["warnings"]
    assert any("2 [[deployment]] entries ignored" in w for w in warnings), warnings
    assert any("deployment 'postgres-db' is not managed by fleetflow" in w.lower() for w in warnings)
    assert any("config.auto_prune" in w for w in warnings)
    assert "config.auto_prune" in asyncio.run(_artifact("sync-warnings"))
    store = context.store()
    assert store.list_resources("stack") == []
    assert store.sync_runs(redact_url(remote.url)) == []


def test_a_failed_dry_run_keeps_its_warnings_and_writes_nothing(
    prefect_harness: None, ff_home: Path, remote: GitRemote
) -> None:
    broken = dict(FILES)
    broken["syncs/stacks.toml"] = FILES["syncs/stacks.toml"].replace('server = "h1"', 'server = "H1"')
    remote.commit("typo", broken)
    with pytest.raises(ResourceErrors) as caught:
        asyncio.run(sync_resources(repo=remote.url, resource_paths=["syncs"], dry_run=True))
    assert "Did you mean `h1`?" in str(caught.value)
    assert any("[[deployment]]" in w for w in caught.value.warnings)
    assert context.store().sync_runs(redact_url(remote.url)) == []
