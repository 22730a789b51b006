"""``fleetflow serve`` stops within 5 s on SIGINT or SIGTERM, whatever its Prefect API's state.

Signals go to the serve process alone (as ``kill`` does), started the way a
non-interactive shell starts a background job (SIGINT inherited as ignored).
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.gitrepo import GitRemote
from tests.support.processes import PrefectServer
from tests.support.serve import ServeProcess, prefect_server_pids, wait_for

pytestmark = [pytest.mark.e2e]

# The stop budget is 5 s (4 s grace, then a forced exit); the margin absorbs a loaded CI machine.
BUDGET_S = 6.5


def empty_repo(root: Path) -> str:
    remote = GitRemote.create(root / "git")
    remote.commit("nothing yet", {"syncs/servers.toml": "# no servers\n"})
    return remote.url


def test_background_serve_stops_on_sigint_and_stops_its_prefect_server(tmp_path: Path) -> None:
    serve = ServeProcess(repo=empty_repo(tmp_path), home=tmp_path / "home", ignore_sigint=True).start()
    try:
        serve.wait_serving()
        assert prefect_server_pids(serve.prefect_port)
        elapsed = serve.signal_and_time(signal.SIGINT)
        assert elapsed < BUDGET_S, f"stopped after {elapsed:.1f} s\n{serve.tail()}"
        assert "SIGINT received while serving homelab" in serve.tail()
        wait_for("its Prefect server gone", lambda: not prefect_server_pids(serve.prefect_port), 10)
    finally:
        serve.stop()


def test_serve_stops_when_its_prefect_server_dies(tmp_path: Path) -> None:
    serve = ServeProcess(repo=empty_repo(tmp_path), home=tmp_path / "home").start()
    try:
        serve.wait_serving()
        for pid in prefect_server_pids(serve.prefect_port):
            os.kill(pid, signal.SIGKILL)
        assert serve.popen is not None
        code = serve.popen.wait(60)
        assert code == 1
        assert "the local Prefect server exited" in serve.tail()
    finally:
        serve.stop()


def test_sigterm_after_its_prefect_api_went_away(tmp_path: Path) -> None:
    prefect = shutil.which("prefect", path=str(Path(sys.executable).parent))
    assert prefect is not None
    server = PrefectServer(home=tmp_path / "prefect").start(prefect)
    serve = ServeProcess(repo=empty_repo(tmp_path), home=tmp_path / "home", env=server.env())
    try:
        serve.start().wait_serving()
        assert server.process is not None
        server.process.stop()
        healthz = f"{serve.url}/healthz"
        wait_for(
            "/healthz to see the API gone",
            lambda: httpx.get(healthz, timeout=10).status_code == 503,
            120,
            serve,
        )
        elapsed = serve.signal_and_time(signal.SIGTERM)
        assert elapsed < BUDGET_S, f"stopped after {elapsed:.1f} s\n{serve.tail()}"
        assert "SIGTERM received while serving homelab" in serve.tail()
    finally:
        serve.stop()
        server.stop()
