"""Findings 4-6: token checks cost the same for unknown names and wrong secrets, failed API
authentication is limited per client, audit records are bounded, and ``X-Forwarded-For`` is
trusted only from configured proxies (API and webhook)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from fleetflow.api import tokens as tokens_mod
from fleetflow.clients import client_address, parse_proxies
from fleetflow.limits import DEFAULTS
from fleetflow.store import ops as store_ops
from fleetflow.webhook import create_app
from tests.unit.api.api_helper import Env, bearer, build
from tests.unit.webhook.webhook_helper import SECRET, push_body

pytestmark = pytest.mark.unit


def client(env: Env, address: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=env.app, client=(address, 4321))
    return httpx.AsyncClient(transport=transport, base_url="http://api")


def test_unknown_names_and_wrong_secrets_do_the_same_keyed_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = build(tmp_path)
    assert all(t.salted_hash.startswith("hmac-sha256$") for t in env.store.get_tokens())
    calls: list[str] = []
    real = tokens_mod.check_secret

    def counting(key: bytes, name: str, secret: str, stored: str) -> bool:
        calls.append(stored.split("$")[0])
        return real(key, name, secret, stored)

    monkeypatch.setattr(tokens_mod, "check_secret", counting)
    verifier = env.app.state.verifier
    for token in ("ff_t-admin_" + "0" * 64, "ff_nobody_" + "0" * 64, "garbage", "ff_t-admin_x"):
        assert verifier.verify(token) is None
    assert calls == ["hmac-sha256"] * 4, "every refusal must do exactly one keyed hash"


async def test_failed_authentication_is_limited_per_client(tmp_path: Path) -> None:
    env = build(tmp_path)
    good = bearer(env.tokens[next(iter(env.tokens))])
    async with client(env, "198.51.100.1") as attacker, client(env, "198.51.100.2") as other:
        for _ in range(DEFAULTS["AUTH_FAILURES"]):
            assert (await attacker.get("/api/stacks", headers=bearer("ff_x_" + "1" * 64))).status_code == 401
        limited = await attacker.get("/api/stacks", headers=good)
        assert limited.status_code == 429
        assert set(limited.json()) == {"error", "message", "hint"}
        assert (await other.get("/api/stacks", headers=good)).status_code == 200
        # a forged X-Forwarded-For does not dodge the limit (no trusted proxies by default)
        forged = {**good, "X-Forwarded-For": "203.0.113.9"}
        assert (await attacker.get("/api/stacks", headers=forged)).status_code == 429


async def test_audit_keeps_short_paths_and_expires_failed_auth(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = build(tmp_path)
    monkeypatch.setattr(store_ops, "MAX_EXPIRING_AUDIT", 5)
    monkeypatch.setattr(store_ops, "PURGE_EVERY", 3)
    async with client(env) as api:
        for i in range(12):
            await api.get(f"/api/stack/{i}" + "x" * 60_000)
            await api.get(f"/api/{i}" + "x" * 60_000)
    records = env.store.audit_log(limit=1000)
    assert records
    assert all(len(r.target) <= 256 and len(r.action) <= 256 for r in records)
    assert len(records) <= 5 + 3, "failed-auth records must be capped"
    raw = env.store._backend.collection("audit").find({})
    assert all("expires_at" in doc for doc in raw)


def test_forwarded_for_only_from_trusted_proxies() -> None:
    headers = {"x-forwarded-for": "203.0.113.9, 10.0.0.2"}
    assert client_address("127.0.0.1", headers) == "127.0.0.1"
    proxies = parse_proxies("127.0.0.1, 10.0.0.0/8")
    assert client_address("127.0.0.1", headers, proxies) == "203.0.113.9"
    assert client_address("192.0.2.1", headers, proxies) == "192.0.2.1"
    assert client_address("127.0.0.1", {"x-forwarded-for": "not-an-ip"}, proxies) == "127.0.0.1"


async def test_webhook_limiter_cannot_be_aimed_or_dodged_with_forwarded_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def handler(_: object) -> None:
        return None

    monkeypatch.delenv("FLEETFLOW_TRUSTED_PROXIES", raising=False)
    app = create_app(handler, {"infra": SECRET})
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 4321))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://r") as c,
    ):
        for i in range(25):
            forged = {
                "X-GitHub-Event": "push",
                "X-Hub-Signature-256": "sha256=00",
                "X-Forwarded-For": f"10.0.0.{i}",
            }
            response = await c.post("/webhook/github/infra", content=push_body(), headers=forged)
        assert response.status_code == 429
        assert response.json()["delivery_id"]
