"""The role matrix: each role may call exactly its endpoints; 401 vs 403; every call audited."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from api_helper import ROLES, Env, bearer, build, client_for, serve_http

from fleetflow.api import Role, create_token

V, OP, A = Role.VIEWER, Role.OPERATOR, Role.ADMIN
# (method, path template, concrete path, least role that may call it)
MATRIX = [
    ("GET", "/api/stacks", "/api/stacks", V),
    ("GET", "/api/stack/{name}", "/api/stack/web", V),
    ("GET", "/api/servers", "/api/servers", V),
    ("GET", "/api/deliveries/{delivery_id}", "/api/deliveries/d-1", V),
    ("POST", "/api/stack/{name}/deploy", "/api/stack/web/deploy?force=true", OP),
    ("POST", "/api/stack/{name}/{action}", "/api/stack/web/restart", OP),
    ("POST", "/api/stack/{name}/{action}", "/api/stack/web/stop", OP),
    ("POST", "/api/stack/{name}/{action}", "/api/stack/web/start", OP),
    ("POST", "/api/stack/{name}/{action}", "/api/stack/web/pull", OP),
    ("POST", "/api/stack/{name}/{action}", "/api/stack/web/destroy", A),
    ("POST", "/api/sync/{name}/run", "/api/sync/homelab/run", OP),
    ("GET", "/api/tokens", "/api/tokens", A),
    ("DELETE", "/api/tokens/{name}", "/api/tokens/victim", A),
]


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return build(tmp_path)


@pytest.fixture
async def client(env: Env) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(env.app) as c:
        yield c


@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
@pytest.mark.parametrize(("method", "template", "path", "least"), MATRIX, ids=[m[2] for m in MATRIX])
async def test_role_matrix(
    env: Env, client: httpx.AsyncClient, role: Role, method: str, template: str, path: str, least: Role
) -> None:
    create_token(env.store, "victim", Role.VIEWER)
    response = await client.request(method, path, headers=bearer(env.tokens[role]))
    if role.allows(least):
        assert response.status_code == 200, response.text
    else:
        assert response.status_code == 403, response.text
        body = response.json()
        assert body["error"] == "forbidden"
        assert f"t-{role.value}" in body["message"]
        assert least.value in body["message"]
    launched = len(env.launcher.calls)
    assert launched == (1 if method == "POST" and role.allows(least) else 0)
    [entry] = [a for a in env.store.audit_log() if a.target == path.split("?")[0]]
    assert entry.actor == f"t-{role.value}"
    assert entry.action == f"api {method} {template}"
    assert entry.detail["status"] == response.status_code


def test_matrix_covers_every_api_route(env: Env) -> None:
    documented = {
        (method.upper(), path)
        for path, ops in env.app.openapi()["paths"].items()
        if path.startswith("/api/")
        for method in ops
    }
    assert documented == {(m, t) for m, t, _, _ in MATRIX}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Bearer ff_t-admin_" + "0" * 64},
        {"Authorization": "Bearer ff_nobody_" + "0" * 64},
    ],
    ids=["none", "basic", "empty", "malformed", "wrong-secret", "unknown-name"],
)
async def test_bad_credentials_get_401_with_a_clear_body(
    env: Env, client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    for method, _, path, _ in MATRIX:
        response = await client.request(method, path, headers=headers)
        assert response.status_code == 401, (path, response.text)
        assert response.headers["www-authenticate"] == "Bearer"
        body = response.json()
        assert body["error"] == "unauthorized"
        assert "Bearer" in body["hint"]
    assert env.launcher.calls == []
    assert {a.actor for a in env.store.audit_log(limit=500)} == {"-"}


async def test_revoked_token_gets_401_at_once(env: Env, client: httpx.AsyncClient) -> None:
    token = env.tokens[Role.ADMIN]
    assert (await client.get("/api/stacks", headers=bearer(token))).status_code == 200
    assert (await client.delete("/api/tokens/t-admin", headers=bearer(token))).json() == {
        "name": "t-admin",
        "revoked": True,
    }
    assert (await client.get("/api/stacks", headers=bearer(token))).status_code == 401


async def test_no_token_in_any_log_line_or_audit_record(
    env: Env, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for role in ROLES:
        for method, _, path, _ in MATRIX:
            create_token(env.store, "victim", Role.VIEWER)
            await client.request(method, path, headers=bearer(env.tokens[role]))
    secrets = [t.split("_")[2] for t in env.tokens.values()]
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert not any(secret in text for secret in secrets)
    assert not any(env.store.contains_text(secret) for secret in secrets)
    assert len(env.store.audit_log(limit=500)) == len(ROLES) * len(MATRIX)


def test_role_matrix_over_real_http(tmp_path: Path) -> None:
    env = build(tmp_path / "http")
    got: dict[tuple[Role, str], int] = {}
    with serve_http(env.app) as base, httpx.Client(base_url=base, timeout=10) as client:
        for role in ROLES:
            for method, _, path, _ in MATRIX:
                create_token(env.store, "victim", Role.VIEWER)
                got[(role, path)] = client.request(method, path, headers=bearer(env.tokens[role])).status_code
        assert client.get("/api/stacks").status_code == 401
    want = {(r, p): 200 if r.allows(least) else 403 for r in ROLES for _, _, p, least in MATRIX}
    assert got == want
