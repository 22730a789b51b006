"""Finding 7: credentials (``webhook_secret``) are masked for viewers and operators, digested in
the state DB and masked in plans; the delivery lookup needs a viewer token; deliveries persist."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleetflow.api import Role
from fleetflow.resources import MASK, load_resources, plan, state_of
from fleetflow.resources.entries import Kind
from fleetflow.store import open_store
from fleetflow.webhook import create_app, store_recorder
from tests.unit.api.api_helper import bearer, build, client_for
from tests.unit.webhook.webhook_helper import SECRET, push_body, signed

pytestmark = pytest.mark.unit
HOOK = "hook-secret-never-shown-5b2e"


async def test_viewers_and_operators_see_the_webhook_secret_masked(tmp_path: Path) -> None:
    env = build(tmp_path)
    config = {"config": {"server": "alpha", "webhook_enabled": True, "webhook_secret": HOOK}}
    env.store.put_resource("stack", "hooked", config, "c2", 0)
    async with client_for(env.app) as api:
        for role in (Role.VIEWER, Role.OPERATOR):
            body = (await api.get("/api/stack/hooked", headers=bearer(env.tokens[role]))).text
            assert HOOK not in body, role
            assert MASK in body, role


def test_credentials_are_digested_in_state_and_masked_in_plans(tmp_path: Path) -> None:
    (tmp_path / "r.toml").write_text(
        '[[server]]\nname = "s"\n\n[[stack]]\nname = "app"\n[stack.config]\nserver = "s"\n'
        f'webhook_secret = "{HOOK}"\n'
    )
    loaded = load_resources(tmp_path)
    assert loaded.ok, loaded.errors
    stored = state_of(loaded.resources.stacks["app"])
    assert HOOK not in repr(stored)
    assert stored["config"]["webhook_secret"].startswith("sha256:")
    assert state_of(type(loaded.resources.stacks["app"]).model_validate({"name": "app", **stored})) == stored
    current = {
        (Kind.STACK, "app"): {**stored, "config": {**stored["config"], "webhook_secret": "sha256:old"}}
    }
    text = repr(plan(loaded.resources, current))
    assert HOOK not in text
    assert "sha256:" not in text, "a plan shows the mask, not the digest"


async def test_delivery_lookup_needs_a_viewer_and_serve_persists_deliveries(tmp_path: Path) -> None:
    async def handler(_: object) -> None:
        return None

    with open_store(None, embedded_path=tmp_path / "hooks") as store:
        webhook = create_app(handler, {"infra": SECRET}, recorder=store_recorder(store))
        env = build(tmp_path, webhook_app=webhook)
        async with client_for(env.app) as api:
            body = push_body()
            sent = await api.post("/webhook/github/infra", content=body, headers=signed("github", body))
            assert sent.status_code == 202, sent.text
            delivery = sent.json()["delivery_id"]
            anonymous = await api.get(f"/webhook/deliveries/{delivery}")
            assert anonymous.status_code == 401
            assert set(anonymous.json()) == {"error", "message", "hint"}
            viewer = await api.get(f"/webhook/deliveries/{delivery}", headers=bearer(env.tokens[Role.VIEWER]))
            assert viewer.status_code == 200, viewer.text
        stored = store.get_webhook(delivery)
        assert stored is not None
        assert stored.outcome is not None
        assert SECRET not in repr(stored)
