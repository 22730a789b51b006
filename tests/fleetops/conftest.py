"""Fleet-ops fixtures: servers in an embedded store, SSH settings for the test-bed sshd, wheels, venvs."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import subprocess
import sys
import zipfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from prefect.client.schemas.objects import State

from fleetflow.runtime import context
from tests.orchestration.conftest import ff_home  # noqa: F401 (fixture)

AddServer = Callable[..., None]


@pytest.fixture
def ssh_address(ssh_target: dict[str, Any]) -> str:
    return f"ssh://{ssh_target['user']}@{ssh_target['host']}:{ssh_target['port']}"


@pytest.fixture
def ssh_env(ssh_target: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """Core's SSH settings (FLEETFLOW_SSH_*) pointing at the test-bed key and known_hosts."""
    monkeypatch.setenv("FLEETFLOW_SSH_KEY_PATH", ssh_target["client_key"])
    monkeypatch.setenv("FLEETFLOW_SSH_KNOWN_HOSTS", ssh_target["known_hosts"])


@pytest.fixture
def add_server(ff_home: Path) -> AddServer:  # noqa: F811
    """Write an applied ``[[server]]`` into the embedded store of the test's FLEETFLOW_HOME."""

    def add(name: str, **config: Any) -> None:
        context.store().put_resource("server", name, {"config": config}, "c1", None)

    return add


WHEEL = b"Wheel-Version: 1.0\nGenerator: fleetflow-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_wheel(folder: Path, name: str, version: str) -> Path:
    """A minimal pure-Python wheel of ``name`` (module ``name`` with ``VERSION``), written by hand."""
    dist = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": f'VERSION = "{version}"\n'.encode(),
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{dist}/WHEEL": WHEEL,
    }
    record = "\n".join([*(_record_line(n, d) for n, d in files.items()), f"{dist}/RECORD,,"]) + "\n"
    path = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for rel, data in files.items():
            zf.writestr(rel, data)
        zf.writestr(f"{dist}/RECORD", record)
    return path


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Wheels of ``ffdummy`` 1.0 and 2.0 (the package update-agents installs in tests)."""
    folder = tmp_path_factory.mktemp("wheels")
    for version in ("1.0", "2.0"):
        build_wheel(folder, "ffdummy", version)
    return folder


@pytest.fixture(scope="module")
def agent_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throwaway venv (with pip, from the bundled wheel: nothing from the network)."""
    venv = tmp_path_factory.mktemp("agent") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=120)
    return venv


def installed_version(venv: Path, package: str) -> str | None:
    """The version of ``package`` in ``venv`` (None when it is not installed)."""
    code = (
        "import importlib.metadata as m\n"
        f"try: print(m.version({package!r}))\nexcept m.PackageNotFoundError: pass"
    )
    out = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code], check=True, capture_output=True, text=True
    )
    return out.stdout.strip() or None


async def artifact_table(flow_run_id: UUID | None, key: str) -> list[dict[str, Any]]:
    """The rows of table artifact ``key`` that a flow run created (fails when there is none)."""
    assert flow_run_id is not None
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

    async with get_client() as client:
        found = await client.read_artifacts(
            artifact_filter=ArtifactFilter(
                flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]), key=ArtifactFilterKey(any_=[key])
            )
        )
    assert found, f"flow run {flow_run_id} created no {key!r} artifact"
    data = found[0].data
    rows: list[dict[str, Any]] = json.loads(data) if isinstance(data, str) else data  # type: ignore[assignment]
    return rows


def run_state(awaitable: Awaitable[State[Any]]) -> State[Any]:
    """Run a flow called with ``return_state=True`` to its final state."""

    async def wait() -> State[Any]:
        return await awaitable

    return asyncio.run(wait())
