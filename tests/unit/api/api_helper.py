"""A seeded embedded store, a recording fake launcher and an in-process client for the API tests."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from fleetflow.api import LaunchedRun, Role, create_api_app, create_token, flow_run_url
from fleetflow.settings import Settings
from fleetflow.store import DeployStatus, StateStore, open_store

HOMELAB = Path(__file__).resolve().parents[2] / "cases" / "homelab"
ROLES = tuple(Role)


@dataclass
class FakeLauncher:
    """Records launches; returns made-up run ids."""

    calls: list[tuple[str, dict[str, Any], list[str]]] = field(default_factory=list)

    async def launch(
        self, deployment: str, parameters: Mapping[str, Any], *, tags: Sequence[str]
    ) -> LaunchedRun:
        self.calls.append((deployment, dict(parameters), list(tags)))
        run_id = f"00000000-0000-0000-0000-{len(self.calls):012d}"
        return LaunchedRun(flow_run_id=run_id, url=flow_run_url(run_id, "http://ui.test"))


async def prefect_ok() -> str | None:
    return None


def seed(store: StateStore, repo_dir: Path) -> None:
    """One server, two stacks, a sync over ``repo_dir``, deploy history, an alert."""
    store.put_resource("server", "alpha", {"config": {"address": "", "region": "home"}}, "c1", 0)
    store.put_resource("stack", "web", {"config": {"server": "alpha", "project_name": "Web"}}, "c1", 0)
    store.put_resource("stack", "db", {"config": {"server": "alpha"}}, "c1", 0)
    store.put_resource("repo", "homelab", {"config": {"repo": str(repo_dir), "branch": "main"}}, "c1", 0)
    sync_cfg = {"config": {"linked_repo": "homelab", "resource_path": ["syncs"]}}
    store.put_resource("resource_sync", "homelab", sync_cfg, "c1", 0)
    now = datetime.now(UTC)
    for minutes, status in ((30, DeployStatus.GOOD), (10, DeployStatus.FAILED)):
        start = now - timedelta(minutes=minutes)
        end = start + timedelta(seconds=20)
        store.record_deploy("web", "alpha", "c1", "fp", status, start, end, {}, "ok")
    store.record_health("alpha", {"reachable": True})
    store.record_webhook("d-1", "forgejo", "o/r", "main", "a" * 40, now)


@dataclass
class Env:
    """Everything a test needs: the app, its store, the fake launcher, a token per role."""

    app: FastAPI
    store: StateStore
    launcher: FakeLauncher
    tokens: dict[Role, str]
    repo_dir: Path


def build(tmp: Path, **app_kw: Any) -> Env:
    repo_dir = tmp / "homelab"
    shutil.copytree(HOMELAB / "repo", repo_dir)
    secrets = tmp / "secrets.toml"
    secrets.write_text('CF_API_TOKEN = "cf-token-from-env-7f3a9"\n')
    store = open_store(None, embedded_path=tmp / "state")
    seed(store, repo_dir)
    tokens = {role: create_token(store, f"t-{role.value}", role) for role in ROLES}
    launcher = FakeLauncher()
    settings = Settings(home=tmp / "home", secrets_file=secrets, backup_root=tmp / "backups")
    app_kw.setdefault("prefect", prefect_ok)
    app = create_api_app(store, launcher=launcher, settings=settings, metrics_interval_s=0, **app_kw)
    return Env(app=app, store=store, launcher=launcher, tokens=tokens, repo_dir=repo_dir)


@asynccontextmanager
async def client_for(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client over ASGI with the app's lifespan run."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 4321))
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            yield client


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve_http(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free 127.0.0.1 port (a thread); yield its base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 15
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
