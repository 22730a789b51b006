"""Signed webhook requests built independently of the code under test (stdlib hmac / openssl)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI

SECRET = "It's a Secret to Everybody"
SHA = "a" * 40


def push_body(branch: str = "main", after: str = SHA) -> bytes:
    return json.dumps(
        {"ref": f"refs/heads/{branch}", "after": after, "repository": {"full_name": "o/r"}}
    ).encode()


def signed(provider: str, body: bytes, secret: str = SECRET, delivery: str | None = None) -> dict[str, str]:
    """Headers a real forge would send for a push with ``body``."""
    delivery = delivery or str(uuid.uuid4())
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if provider == "github":
        return {
            "X-GitHub-Event": "push",
            "X-Hub-Signature-256": f"sha256={digest}",
            "X-GitHub-Delivery": delivery,
        }
    if provider == "gitea":
        return {"X-Gitea-Event": "push", "X-Gitea-Signature": digest, "X-Gitea-Delivery": delivery}
    if provider == "forgejo":
        return {"X-Forgejo-Event": "push", "X-Forgejo-Signature": digest, "X-Forgejo-Delivery": delivery}
    return {"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": secret, "X-Gitlab-Event-UUID": delivery}


async def wait_status(
    client: Any, delivery_id: str, wanted: set[str], timeout: float = 10.0
) -> dict[str, Any]:
    """GET the delivery until its status is one of ``wanted`` (bounded by ``timeout``)."""
    deadline = time.monotonic() + timeout
    while True:
        found: dict[str, Any] = (await client.get(f"/webhook/deliveries/{delivery_id}")).json()
        if found.get("status") in wanted or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.02)


@asynccontextmanager
async def serve_in_process(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client talking to ``app`` through ASGI (no socket), with the app's lifespan run."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("192.0.2.7", 4321))
        async with httpx.AsyncClient(transport=transport, base_url="http://receiver") as client:
            yield client
