"""The per-host deploy limit is a Prefect global concurrency limit that heals itself."""

from __future__ import annotations

import pytest
from prefect import get_client
from prefect.exceptions import ObjectNotFound

from tasks.deploy import host_deploy_slot, host_limit

pytestmark = pytest.mark.prefect


async def active_slots(server: str) -> int:
    async with get_client() as client:
        return (await client.read_global_concurrency_limit_by_name(host_limit(server))).active_slots


async def test_slot_is_held_and_a_deleted_limit_is_created_again(prefect_harness: None) -> None:
    server = "slots-h1"
    async with host_deploy_slot(server):
        assert await active_slots(server) == 1
    assert await active_slots(server) == 0

    async with get_client() as client:  # e.g. the Prefect database was reset under a running process
        await client.delete_global_concurrency_limit_by_name(host_limit(server))
        with pytest.raises(ObjectNotFound):
            await client.read_global_concurrency_limit_by_name(host_limit(server))
    async with host_deploy_slot(server):
        assert await active_slots(server) == 1
    assert await active_slots(server) == 0
