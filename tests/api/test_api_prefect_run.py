"""One real Prefect round trip: the API starts a run of a registered deployment, tagged with the token."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import httpx
import pytest
from prefect import get_client
from prefect.types.entrypoint import EntrypointType

from fleetflow.api import Role, create_api_app, create_token
from fleetflow.settings import Settings
from fleetflow.store import open_store

pytestmark = pytest.mark.prefect


async def test_action_creates_a_real_flow_run(prefect_harness: None, tmp_path: Path) -> None:
    from flows.stack_action import stack_action

    deployment = await stack_action.ato_deployment(
        name="host-alpha", entrypoint_type=EntrypointType.MODULE_PATH, tags=["host:alpha"]
    )
    deployment_id = await deployment.aapply()
    store = open_store(None, embedded_path=tmp_path / "state")
    store.put_resource("stack", "web", {"config": {"server": "alpha"}}, "c1", 0)
    token = create_token(store, "ci", Role.OPERATOR)
    app = create_api_app(store, settings=Settings(home=tmp_path / "home"))
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://api") as client,
    ):
        response = await client.post("/api/stack/web/restart", headers={"Authorization": f"Bearer {token}"})
        health = await client.get("/healthz")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["url"].endswith(f"/runs/flow-run/{body['flow_run_id']}")
    async with get_client() as prefect:
        run = await prefect.read_flow_run(UUID(body["flow_run_id"]))
    assert run.deployment_id == deployment_id
    assert set(run.tags) >= {"api", "token:ci", "host:alpha"}
    assert run.parameters == {"stack": "web", "server": "alpha", "action": "restart", "project": "web"}
    assert health.status_code == 200, health.text
    assert health.json()["prefect"]["ok"] is True
    [audit] = store.audit_log(limit=1)
    assert (audit.actor, audit.detail["flow_run_id"]) == ("ci", body["flow_run_id"])
    store.close()


async def test_unregistered_deployment_is_a_409(prefect_harness: None, tmp_path: Path) -> None:
    store = open_store(None, embedded_path=tmp_path / "state")
    store.put_resource("stack", "web", {"config": {"server": "nowhere"}}, "c1", 0)
    token = create_token(store, "ci", Role.OPERATOR)
    app = create_api_app(store, settings=Settings(home=tmp_path / "home"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client:
        response = await client.post("/api/stack/web/stop", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 409
    assert response.json()["message"] == "Prefect deployment 'stack-action/host-nowhere' is not registered"
    assert "fleetflow deploy" in response.json()["hint"]
    store.close()
