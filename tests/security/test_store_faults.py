"""Findings 9-10: a broken state DB is a 503 in the shared shape naming no path, ``/healthz``
says so, router errors use the shared shape; store files are 0600 and folders 0700."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from fleetflow.api import Role
from fleetflow.store import open_store
from tests.unit.api.api_helper import bearer, build, client_for

pytestmark = pytest.mark.unit
SHAPE = {"error", "message", "hint"}


async def test_a_corrupt_tokens_store_is_503_without_paths_and_healthz_fails(tmp_path: Path) -> None:
    env = build(tmp_path)
    [tokens] = (tmp_path / "state").rglob("tokens.collection")
    tokens.write_bytes(b"\x00garbage\xff" * 64)
    async with client_for(env.app) as api:
        for headers in ({}, bearer(env.tokens[Role.VIEWER]), bearer("ff_nobody_" + "0" * 64)):
            response = await api.get("/api/stacks", headers=headers)
            if not headers:
                assert response.status_code == 401
                continue
            assert response.status_code == 503, response.text
            assert set(response.json()) == SHAPE
            assert str(tmp_path) not in response.text
        health = await api.get("/healthz")
        assert health.status_code == 503
        assert health.json()["store"]["ok"] is False
        assert str(tmp_path) not in health.text


async def test_router_errors_use_the_shared_shape(tmp_path: Path) -> None:
    env = build(tmp_path)
    async with client_for(env.app) as api:
        missing = await api.get("/no/such/route")
        assert missing.status_code == 404
        assert set(missing.json()) == SHAPE
        wrong_method = await api.put("/api/stacks", headers=bearer(env.tokens[Role.ADMIN]))
        assert wrong_method.status_code == 405
        assert set(wrong_method.json()) == SHAPE


def test_store_files_are_private(tmp_path: Path) -> None:
    with open_store(None, embedded_path=tmp_path / "state") as store:
        store.put_token("a", "viewer", "x")
        store.audit_log()
    paths = [tmp_path / "state", *(tmp_path / "state").rglob("*")]
    for path in paths:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), f"{path}: {oct(mode)}"
