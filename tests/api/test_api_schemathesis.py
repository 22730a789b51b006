"""Schemathesis against the OpenAPI document the app serves: every phase and every check pass.

The app runs under uvicorn on 127.0.0.1 over a seeded embedded store; the
``st`` CLI loads ``/openapi.json`` from it and generates examples, coverage,
fuzzing and stateful sequences with an admin token, so every verb is reached.
Known names are mixed into generated path parameters, and the run fails on
schemathesis' "missing auth" and "missing test data" warnings, so the calls
reach the code behind authentication and lookups, not just the 401 and 404
paths. Token revocation runs in a pass of its own: in a stateful sequence it
would revoke the very token the run authenticates with.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fleetflow.api import Role
from tests.unit.api.api_helper import build, serve_http

pytestmark = pytest.mark.api

REVOKE = "DELETE /api/tokens/{name}"
CONFIG = """
headers = { Authorization = "Bearer ${FF_SCHEMATHESIS_TOKEN}" }
warnings = { fail-on = ["missing_auth", "missing_test_data", "validation_mismatch"] }

[dictionaries.known]
values = ["web", "db", "homelab", "d-1", "alpha", "t-viewer", "t-operator"]

[parameters]
"path.name" = { dictionary = "known", probability = 0.5 }
"path.delivery_id" = { dictionary = "known", probability = 0.9 }
"""


def _st() -> str:
    found = shutil.which("st", path=str(Path(sys.executable).parent))
    assert found, "schemathesis' `st` is not installed next to this Python: run scripts/bootstrap"
    return found


def _schemathesis(base: str, workdir: Path, token: str, *selection: str) -> int:
    """Run ``st run`` on ``base``'s OpenAPI document; return how many operations it tested."""
    config = workdir / "schemathesis.toml"
    config.write_text(CONFIG)
    command = [_st(), "--config-file", str(config), "run", "--checks", "all", "--max-examples", "25"]
    command += ["--seed", "20261125", "--generation-database", "none", "--no-color", *selection]
    run = subprocess.run(
        [*command, f"{base}/openapi.json"],
        env=os.environ | {"FF_SCHEMATHESIS_TOKEN": token},
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-6000:]
    assert re.search(r"(\d+) generated, \1 passed", output), output[-3000:]
    assert token not in output
    tested = re.search(r"Tested:\s+(\d+)", output)
    assert tested, output[-3000:]
    return int(tested.group(1))


def test_schemathesis_finds_no_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLEETFLOW_LIMIT_AUTH_FAILURES", "1000000")  # its wrong-token probes are no attack
    env = build(tmp_path)
    token = env.tokens[Role.ADMIN]
    operations = sum(len(ops) for ops in env.app.openapi()["paths"].values())
    with serve_http(env.app) as base:
        rest = _schemathesis(base, tmp_path, token, "--exclude-name", REVOKE)
        revoke_only = ("--include-name", REVOKE, "--phases", "coverage,fuzzing")
        revoke = _schemathesis(base, tmp_path, token, *revoke_only)
    assert (rest, revoke) == (operations - 1, 1)
    left = {record.name for record in env.store.get_tokens()}
    assert "t-admin" in left
    assert not {"t-viewer", "t-operator"} <= left, "the revoke pass never reached a real token"
