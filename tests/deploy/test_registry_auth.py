"""registry_provider / registry_account: pulls from the test bed's htpasswd registry with a per-deploy
DOCKER_CONFIG (never a login into the host's global config, never the token in any output)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any

import docker
import pytest
from pydantic import SecretStr

from fleetflow.deploy import DeployStatus, deploy
from fleetflow.deploy.registry_auth import AUTH_DIR
from fleetflow.hosts import LocalHost
from tests import conftest as tb
from tests.conftest import missing, tcp_open
from tests.deploy.conftest import SpecFactory, container_ids

pytestmark = [pytest.mark.docker, pytest.mark.registry]


@pytest.fixture(scope="module")
def auth_registry(testbed: tb.Testbed) -> dict[str, str]:
    info: dict[str, Any] = testbed.raw.get("registry_auth") or {}
    if not info or not tcp_open(str(info["address"])):
        missing("registry-auth", "no htpasswd registry in the test bed")
    password = Path(info["password_file"]).read_text().strip()
    return {"address": str(info["address"]), "user": str(info["user"]), "password": password}


@pytest.fixture
def pushed(host: LocalHost, auth_registry: dict[str, str], testbed_image: str, project: str) -> Iterator[str]:
    """An image pushed to the auth registry and then removed from host1 (so a deploy must pull it)."""
    repo = f"{auth_registry['address']}/{project}"
    creds = {"username": auth_registry["user"], "password": auth_registry["password"]}
    with host.docker() as client:
        client.images.get(testbed_image).tag(repo, "v1")
        for line in client.images.push(repo, "v1", auth_config=creds, stream=True, decode=True):
            assert "error" not in line, line
        client.images.remove(f"{repo}:v1")
    yield f"{repo}:v1"
    with host.docker() as client, suppress(docker.errors.ImageNotFound):
        client.images.remove(f"{repo}:v1", force=True)


def _files(image: str) -> dict[str, bytes]:
    return {
        "app/compose.yaml": f"services:\n  app:\n    image: {image}\n    command: [sleep, '600']\n".encode()
    }


def _global_config() -> str:
    path = Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker") / "config.json"
    return path.read_text() if path.exists() else ""


async def test_pull_authenticates_with_a_per_deploy_config_removed_afterwards(
    host: LocalHost, history, make_spec: SpecFactory, project: str, pushed: str, auth_registry: dict[str, str]
) -> None:
    before = _global_config()
    lines: list[str] = []
    token = auth_registry["password"]
    kw = {"run_directory": "app", "registry_provider": auth_registry["address"]}
    spec = make_spec(
        _files(pushed),
        registry_account=auth_registry["user"],
        registry_token=SecretStr(token),
        secret_values=(SecretStr(token),),
        **kw,
    )
    result = await deploy(host, spec, history, on_line=lines.append)
    assert result.status is DeployStatus.GOOD, result.reason
    assert set(container_ids(host, project)) == {"app"}
    assert all(token not in line for line in lines)
    assert token not in result.model_dump_json()
    assert _global_config() == before, "the host's global Docker config must not change"
    assert not any((Path(host.stacks_root) / AUTH_DIR).iterdir()), "the temporary DOCKER_CONFIG is removed"

    with host.docker() as client:
        client.images.remove(pushed, force=True)
    wrong = make_spec(
        _files(pushed),
        commit="c2",
        registry_account=auth_registry["user"],
        registry_token=SecretStr("nope"),
        **kw,
    )
    failed = await deploy(host, wrong, history)
    assert failed.status is not DeployStatus.GOOD
    assert not any((Path(host.stacks_root) / AUTH_DIR).iterdir())
