"""The API on FerretDB: tokens, audit and metrics against the real MongoDB wire protocol."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fleetflow.api import Role, create_api_app, create_token, revoke_token
from fleetflow.settings import Settings
from fleetflow.store import StateStore, open_store

pytestmark = pytest.mark.mongo


@pytest.fixture
def store(mongodb_url: str) -> Iterator[StateStore]:
    opened = open_store(mongodb_url, database=f"ff_api_{uuid.uuid4().hex[:8]}")
    try:
        yield opened
    finally:
        opened.drop_everything()
        opened.close()


async def no_prefect_check() -> str | None:
    return None


async def test_tokens_audit_and_metrics_on_ferretdb(store: StateStore, tmp_path: Path) -> None:
    store.put_resource("stack", "web", {"config": {"server": "alpha"}}, "c1", 0)
    token = create_token(store, "ci", Role.VIEWER)
    secret = token.split("_")[2]
    app = create_api_app(
        store, settings=Settings(home=tmp_path), prefect=no_prefect_check, metrics_interval_s=0
    )
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client:
        assert [s["name"] for s in (await client.get("/api/stacks", headers=headers)).json()] == ["web"]
        assert (await client.post("/api/stack/web/deploy", headers=headers)).status_code == 403
        revoke_token(store, "ci")
        assert (await client.get("/api/stacks", headers=headers)).status_code == 401
        metrics = (await client.get("/metrics")).text
        health = await client.get("/healthz")
    assert [(a.actor, a.detail["status"]) for a in reversed(store.audit_log())] == [
        ("ci", 200),
        ("ci", 403),
        ("-", 401),
    ]
    assert not store.contains_text(secret)
    assert 'fleetflow_deploys{outcome="good"} 0.0' in metrics
    assert health.status_code == 200
