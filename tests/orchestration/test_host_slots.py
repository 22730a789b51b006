"""The per-host deploy limit is a Prefect global concurrency limit that heals itself."""

from __future__ import annotations

import asyncio

import pytest
from prefect import get_client
from prefect.exceptions import ObjectNotFound

from tasks.deploy import ensure_host_limit, host_deploy_slot, host_limit

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


async def test_deploys_beside_each_other_create_the_limit_once(prefect_harness: None) -> None:
    # the warm runner starts a sync's deploys together in one process: each finds no limit yet
    server = "slots-together"
    names = await asyncio.gather(*(ensure_host_limit(server) for _ in range(5)))
    assert set(names) == {host_limit(server)}
    assert await active_slots(server) == 0
