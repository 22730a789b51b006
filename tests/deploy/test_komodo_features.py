"""Komodo stack fields carried out on a real test-bed Docker daemon: compose_cmd_wrapper, run_build."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import docker
import pytest

from fleetflow.deploy import DeployStatus, deploy, deploy_if_changed
from fleetflow.hosts import LocalHost
from tests.conftest import missing
from tests.deploy.conftest import SpecFactory, compose_yaml, container_env, container_ids

pytestmark = pytest.mark.docker

SECRET = "hunter2-from-age-7f3a"
WRAPPER = "# decrypt, then run compose\nsh ./with-secrets.sh secrets.env.age '[[COMPOSE_COMMAND]]'"
# An age-shaped stand-in for `sops exec-env FILE CMD`: decrypt FILE, export its KEY=VALUE lines, run CMD.
WITH_SECRETS = b"""#!/bin/sh
set -eu
plain=$(age -d -i "$AGE_KEY_FILE" "$1")
while IFS= read -r line; do
  case "$line" in ''|'#'*) ;; *) export "$line" ;; esac
done <<EOF
$plain
EOF
exec sh -c "$2"
"""


@pytest.fixture
def age_key(tmp_path: Path) -> tuple[Path, str]:
    """(identity file, recipient) from Debian's age-keygen."""
    if not (shutil.which("age") and shutil.which("age-keygen")):
        missing("packages", "age / age-keygen not installed")
    key = tmp_path / "age.key"
    subprocess.run(["age-keygen", "-o", str(key)], check=True, capture_output=True)
    recipient = subprocess.run(
        ["age-keygen", "-y", str(key)], check=True, capture_output=True, text=True
    ).stdout.strip()
    return key, recipient


def _encrypt(recipient: str, plain: bytes) -> bytes:
    return subprocess.run(["age", "-r", recipient], input=plain, check=True, capture_output=True).stdout


def _wrapped_files(image: str, recipient: str) -> dict[str, bytes]:
    web = "environment:\n  DB_PASSWORD: ${DB_PASSWORD:?decrypted by the wrapper}"
    return {
        "app/compose.yaml": compose_yaml(image, {"web": web}),
        "app/secrets.env.age": _encrypt(recipient, f"DB_PASSWORD={SECRET}\n".encode()),
        "app/with-secrets.sh": WITH_SECRETS,
    }


async def test_compose_cmd_wrapper_decrypts_an_age_env_file_into_the_container(
    host: LocalHost, history, make_spec: SpecFactory, project: str, testbed_image: str, age_key
) -> None:
    key, recipient = age_key
    lines: list[str] = []
    spec = make_spec(
        _wrapped_files(testbed_image, recipient),
        run_directory="app",
        environment={"AGE_KEY_FILE": str(key)},
        compose_cmd_wrapper=WRAPPER,
        compose_cmd_wrapper_include=("config", "up"),
    )
    result = await deploy(host, spec, history, on_line=lines.append)
    assert result.status is DeployStatus.GOOD, result.reason
    assert container_env(host, project, "web")["DB_PASSWORD"] == SECRET
    assert "through compose_cmd_wrapper: up" in " ".join(lines)
    assert all(SECRET not in line for line in lines)
    assert SECRET.encode() not in b"".join(spec.files.values())

    # Without the wrapper on `config`, ${DB_PASSWORD:?} cannot be rendered: the deploy fails early.
    unwrapped = spec.model_copy(update={"compose_cmd_wrapper_include": ("up",), "commit": "c2"})
    failed = await deploy(host, unwrapped, history)
    assert failed.status is DeployStatus.FAILED
    assert "config failed" in failed.reason
    assert container_env(host, project, "web")["DB_PASSWORD"] == SECRET


async def test_compose_cmd_wrapper_without_placeholder_fails_before_touching_containers(
    host: LocalHost, history, make_spec: SpecFactory, project: str, testbed_image: str
) -> None:
    files = {"app/compose.yaml": compose_yaml(testbed_image, {"web": ""})}
    first = await deploy(host, make_spec(files, run_directory="app"), history)
    assert first.status is DeployStatus.GOOD, first.reason
    ids = container_ids(host, project)
    bad = make_spec(files, commit="c2", run_directory="app", compose_cmd_wrapper="sops exec-env .env")
    result = await deploy(host, bad, history)
    assert result.status is DeployStatus.FAILED
    assert "[[COMPOSE_COMMAND]]" in result.reason
    assert "running containers left untouched" in result.reason
    assert container_ids(host, project) == ids


@pytest.fixture
def built_image(host: LocalHost, project: str) -> Iterator[str]:
    name = f"{project}-built:latest"
    yield name
    with host.docker() as client, suppress(docker.errors.ImageNotFound):
        client.images.remove(name, force=True)


def _build_files(base: str, image: str, message: str) -> dict[str, bytes]:
    compose = f"services:\n  app:\n    image: {image}\n    build: ./img\n    command: [sleep, '600']\n"
    return {
        "app/compose.yaml": compose.encode(),
        "app/img/Dockerfile": f"FROM {base}\nCOPY msg.txt /msg.txt\n".encode(),
        "app/img/msg.txt": message.encode(),
    }


def _read(host: LocalHost, project: str, path: str) -> str:
    ((_service, cid),) = container_ids(host, project).items()
    with host.docker() as client:
        code, out = client.containers.get(cid).exec_run(["cat", path])
    assert code == 0, out
    return bytes(out).decode()


async def test_run_build_rebuilds_the_image_when_its_context_changes(
    host: LocalHost, history, make_spec: SpecFactory, project: str, testbed_image: str, built_image: str
) -> None:
    kw = {
        "run_directory": "app",
        "run_build": True,
        "auto_pull": False,
        "build_extra_args": ("--pull=false",),
    }
    spec = make_spec(_build_files(testbed_image, built_image, "one"), **kw)
    first = await deploy_if_changed(host, spec, history)
    assert first.status is DeployStatus.GOOD, first.reason
    assert "build" in first.durations
    assert _read(host, project, "/msg.txt") == "one"

    changed = make_spec(_build_files(testbed_image, built_image, "two"), commit="c2", **kw)
    second = await deploy_if_changed(host, changed, history)
    assert second.status is DeployStatus.GOOD, second.reason
    assert second.images[built_image] != first.images[built_image]
    assert _read(host, project, "/msg.txt") == "two"

    # Without run_build the present image is reused: the new context would not reach the container.
    stale = make_spec(
        _build_files(testbed_image, built_image, "three"), commit="c3", **kw | {"run_build": False}
    )
    third = await deploy_if_changed(host, stale, history)
    assert third.status is DeployStatus.GOOD, third.reason
    assert _read(host, project, "/msg.txt") == "two"


def _two(image: str, greeting: str) -> dict[str, bytes]:
    web = f"environment:\n  GREETING: {greeting}"
    return {"app/compose.yaml": compose_yaml(image, {"web": web, "worker": ""})}


async def test_destroy_before_deploy_recreates_every_service(
    host: LocalHost, history, make_spec: SpecFactory, project: str, testbed_image: str
) -> None:
    assert (await deploy(host, make_spec(_two(testbed_image, "a"), run_directory="app"), history)).status is (
        DeployStatus.GOOD
    )
    first = container_ids(host, project)
    plain = make_spec(_two(testbed_image, "b"), commit="c2", run_directory="app")
    assert (await deploy_if_changed(host, plain, history)).status is DeployStatus.GOOD
    second = container_ids(host, project)
    assert second["worker"] == first["worker"]
    assert second["web"] != first["web"]
    destroy = make_spec(
        _two(testbed_image, "c"), commit="c3", run_directory="app", destroy_before_deploy=True
    )
    result = await deploy_if_changed(host, destroy, history)
    assert result.status is DeployStatus.GOOD, result.reason
    assert "down" in result.durations
    third = container_ids(host, project)
    assert third["worker"] != second["worker"]
    assert third["web"] != second["web"]


async def test_extra_args_reach_compose_up(
    host: LocalHost, history, make_spec: SpecFactory, project: str, testbed_image: str
) -> None:
    spec = make_spec(_two(testbed_image, "a"), run_directory="app")
    assert (await deploy(host, spec, history)).status is DeployStatus.GOOD
    before = container_ids(host, project)
    forced = make_spec(
        _two(testbed_image, "a"), commit="c2", run_directory="app", extra_args=("--force-recreate",)
    )
    lines: list[str] = []
    result = await deploy_if_changed(host, forced, history, on_line=lines.append)
    assert result.status is DeployStatus.GOOD, result.reason
    assert any("up -d --remove-orphans --force-recreate" in line for line in lines)
    after = container_ids(host, project)
    assert all(after[s] != before[s] for s in before), "--force-recreate recreates unchanged services"


async def test_ignore_services_are_neither_waited_for_nor_drift(
    host: LocalHost, history, make_spec: SpecFactory, project: str, testbed_image: str
) -> None:
    files = {
        "app/compose.yaml": compose_yaml(testbed_image, {"web": "", "once": "command: [sh, -c, 'exit 3']"})
    }
    failing = await deploy(host, make_spec(files, run_directory="app", timeout_s=20), history)
    assert failing.status is DeployStatus.FAILED, "a service that exits must fail the deploy unless ignored"
    spec = make_spec(files, commit="c2", run_directory="app", ignore_services=("once",))
    result = await deploy(host, spec, history)
    assert result.status is DeployStatus.GOOD, result.reason
    assert set(result.service_fingerprints) == {"web"}
    again = await deploy_if_changed(host, spec.model_copy(update={"commit": "c3"}), history)
    assert again.status is DeployStatus.SKIPPED, again.reason
