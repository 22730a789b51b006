"""Endpoints over ASGI with the embedded store: reads, launches, dry-run plans, errors, webhook routes."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_helper import Env, bearer, build, client_for

from fleetflow.api import LaunchedRun, Role, create_api_app
from fleetflow.api.launcher import DeploymentMissing
from fleetflow.errors import ComponentUnavailable, FleetflowError
from fleetflow.settings import Settings
from fleetflow.webhook import Trigger, WebhookLimits, create_app


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return build(tmp_path)


@pytest.fixture
async def client(env: Env) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(env.app) as c:
        yield c


def op(env: Env) -> dict[str, str]:
    return bearer(env.tokens[Role.OPERATOR])


async def test_reads_show_applied_state_and_history(env: Env, client: httpx.AsyncClient) -> None:
    stacks = (await client.get("/api/stacks", headers=op(env))).json()
    assert [(s["name"], s["server"]) for s in stacks] == [("db", "alpha"), ("web", "alpha")]
    assert stacks[0]["last_good"] is None
    assert stacks[1]["last_good"]["status"] == "good"
    web = (await client.get("/api/stack/web?limit=5", headers=op(env))).json()
    assert [d["status"] for d in web["deploys"]] == ["failed", "good"]
    assert web["config"]["config"]["project_name"] == "Web"
    assert web["commit"] == "c1"
    servers = (await client.get("/api/servers", headers=op(env))).json()
    assert servers[0]["name"] == "alpha"
    assert servers[0]["enabled"] is True
    assert servers[0]["last_health"] is not None
    delivery = (await client.get("/api/deliveries/d-1", headers=op(env))).json()
    assert (delivery["provider"], delivery["branch"]) == ("forgejo", "main")


@pytest.mark.parametrize(
    "path", ["/api/stack/nope", "/api/deliveries/nope", "/api/stack/nope/deploy", "/api/sync/nope/run"]
)
async def test_unknown_names_get_404(env: Env, client: httpx.AsyncClient, path: str) -> None:
    method = "POST" if path.endswith(("deploy", "run")) else "GET"
    response = await client.request(method, path, headers=op(env))
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert "nope" in response.json()["message"]
    assert env.launcher.calls == []


async def test_deploy_starts_a_run_named_after_the_token(env: Env, client: httpx.AsyncClient) -> None:
    response = await client.post("/api/stack/web/deploy?force=true", headers=op(env))
    body = response.json()
    assert body["url"] == f"http://ui.test/runs/flow-run/{body['flow_run_id']}"
    [(deployment, params, tags)] = env.launcher.calls
    assert deployment == "deploy-stack/host-alpha"
    assert params == {
        "repo": str(env.repo_dir),
        "branch": "main",
        "commit": "c1",
        "resource_paths": ["syncs"],
        "stack": "web",
        "server": "alpha",
        "force": True,
        "retry_now": True,
    }
    assert tags == ["api", "token:t-operator"]
    [audit] = env.store.audit_log(limit=1)
    assert audit.detail["flow_run_id"] == body["flow_run_id"]


async def test_action_and_sync_launch_their_deployments(env: Env, client: httpx.AsyncClient) -> None:
    admin = bearer(env.tokens[Role.ADMIN])
    assert (await client.post("/api/stack/web/destroy", headers=admin)).status_code == 200
    assert (await client.post("/api/sync/homelab/run?force=true", headers=op(env))).status_code == 200
    unknown = await client.post("/api/stack/web/explode", headers=admin)
    assert unknown.status_code == 422
    assert unknown.json()["error"] == "invalid_request"
    assert "path.action" in unknown.json()["message"]
    assert env.launcher.calls == [
        (
            "stack-action/host-alpha",
            {"stack": "web", "server": "alpha", "action": "destroy", "project": "web"},
            ["api", "token:t-admin"],
        ),
        ("sync-resources/homelab", {"force": True}, ["api", "token:t-operator"]),
    ]


async def test_dry_run_returns_the_plan_and_changes_nothing(env: Env, client: httpx.AsyncClient) -> None:
    before = env.store.list_resources("stack")
    response = await client.post("/api/sync/homelab/run?dry_run=true", headers=op(env))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["sync"] == "homelab"
    assert body["commit"].startswith("worktree-")
    creates = {(r["kind"], r["name"]) for r in body["plan"] if r["action"] == "create"}
    assert ("stack", "immich") in creates
    assert any("immich" in round_ for round_ in body["rounds"])
    assert "cf-token-from-env-7f3a9" not in response.text
    assert env.store.list_resources("stack") == before
    assert env.launcher.calls == []


async def test_broken_resource_files_answer_422(env: Env, client: httpx.AsyncClient) -> None:
    (env.repo_dir / "syncs" / "servers.toml").write_text("[[server]\nname = ")
    response = await client.post("/api/sync/homelab/run?dry_run=true", headers=op(env))
    assert response.status_code == 422
    assert "servers.toml" in response.json()["message"]


async def test_ambiguous_sync_asks_for_the_sync_param(env: Env, client: httpx.AsyncClient) -> None:
    other = {"config": {"repo": str(env.repo_dir), "resource_path": ["syncs"]}}
    env.store.put_resource("resource_sync", "other", other, "c1", 0)
    response = await client.post("/api/stack/web/deploy", headers=op(env))
    assert response.status_code == 409
    assert "?sync=" in response.json()["hint"]
    assert (await client.post("/api/stack/web/deploy?sync=other", headers=op(env))).status_code == 200


class FailingLauncher:
    def __init__(self, error: FleetflowError) -> None:
        self.error = error

    async def launch(
        self, deployment: str, parameters: Mapping[str, Any], *, tags: Sequence[str]
    ) -> LaunchedRun:
        raise self.error


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (DeploymentMissing("deployment 'x' is not registered", hint="Run `fleetflow deploy`."), 409),
        (ComponentUnavailable("Prefect API unreachable", hint="Check PREFECT_API_URL."), 503),
    ],
)
async def test_launcher_failures_map_to_clear_errors(env: Env, error: FleetflowError, status: int) -> None:
    env.app.state.services = type(env.app.state.services)(
        store=env.store, launcher=FailingLauncher(error), planner=env.app.state.services.planner
    )
    async with client_for(env.app) as client:
        response = await client.post("/api/stack/web/restart", headers=op(env))
    assert response.status_code == status
    assert response.json()["message"] == error.message
    assert response.json()["hint"] == error.hint


def _signed_push(body: bytes) -> dict[str, str]:
    digest = hmac.new(b"hook-secret", body, hashlib.sha256).hexdigest()
    return {"X-GitHub-Event": "push", "X-Hub-Signature-256": f"sha256={digest}", "X-GitHub-Delivery": "g-1"}


async def test_webhook_is_served_from_the_same_app(env: Env, tmp_path: Path) -> None:
    fired: list[Trigger] = []
    hooks = create_app(fired.append, {"infra": "hook-secret"}, limits=WebhookLimits(debounce_seconds=0))
    app = create_api_app(
        env.store,
        launcher=env.launcher,
        settings=Settings(home=tmp_path / "h2"),
        webhook_app=hooks,
        prefect=None,
    )
    paths = set(app.openapi()["paths"])
    assert {"/webhook/{provider}/{name}", "/webhook/deliveries/{delivery_id}", "/api/stacks"} <= paths
    body = json.dumps({"ref": "refs/heads/main", "after": "b" * 40, "repository": {"full_name": "o/r"}})
    async with client_for(app) as client:
        pushed = await client.post("/webhook/github/infra", content=body, headers=_signed_push(body.encode()))
        assert pushed.status_code == 202
        seen = (await client.get("/api/deliveries/g-1", headers=op(env))).json()
    assert seen["endpoint"] == "infra"
    assert seen["commit"] == "b" * 40
    assert seen["status"] in {"queued", "running", "completed"}


EXPECTED = {
    ("GET", "/api/stacks"),
    ("GET", "/api/stack/{name}"),
    ("GET", "/api/servers"),
    ("GET", "/api/deliveries/{delivery_id}"),
    ("POST", "/api/stack/{name}/deploy"),
    ("POST", "/api/stack/{name}/{action}"),
    ("POST", "/api/sync/{name}/run"),
    ("GET", "/api/tokens"),
    ("DELETE", "/api/tokens/{name}"),
    ("GET", "/healthz"),
    ("GET", "/metrics"),
}


async def test_openapi_lists_every_endpoint(env: Env, client: httpx.AsyncClient) -> None:
    doc = (await client.get("/openapi.json")).json()
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    assert documented == EXPECTED
    assert "HTTPBearer" in doc["components"]["securitySchemes"]
    actions = doc["paths"]["/api/stack/{name}/{action}"]["post"]["parameters"]
    assert any(p["name"] == "action" for p in actions)
    for method, path in EXPECTED - {("GET", "/healthz"), ("GET", "/metrics")}:
        assert doc["paths"][path][method.lower()]["security"] == [{"HTTPBearer": []}]
