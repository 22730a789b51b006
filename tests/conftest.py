"""Shared fixtures: the real test-bed components, found through .testbed/testbed.json.

Under CI (``CI=true``) a missing component fails the test with the
``scripts/testbed up`` step that provides it; locally it skips with the same
message.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
TESTBED_JSON = Path(os.environ.get("FF_TESTBED", ROOT / ".testbed" / "testbed.json"))
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

# Prefect keeps its profile and local database out of the user's home in tests.
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="ff-prefect-home-"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")


def missing(component: str, why: str) -> None:
    """Fail under CI, skip locally, naming the test-bed step that provides it."""
    message = f"{component} unavailable ({why}); run `scripts/testbed up {component}`"
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@dataclass(frozen=True)
class Testbed:
    """Addresses of the running test-bed components."""

    raw: dict[str, Any]

    @property
    def docker_hosts(self) -> dict[str, str]:
        return dict(self.raw["docker_hosts"])

    @property
    def base_image(self) -> str:
        return str(self.raw["base_image"])

    @property
    def registry(self) -> str:
        return str(self.raw["registry"])

    @property
    def mongodb_url(self) -> str:
        return str(self.raw["mongodb_url"])

    @property
    def postgres_url(self) -> str:
        return str(self.raw.get("postgres_url", ""))

    @property
    def kopia(self) -> str:
        return str(self.raw["kopia"])

    @property
    def mongotools(self) -> dict[str, str]:
        return {t: str(self.raw.get(t, "")) for t in ("mongodump", "mongorestore")}

    @property
    def ssh(self) -> dict[str, Any]:
        return dict(self.raw["ssh"])


@pytest.fixture(scope="session")
def testbed() -> Testbed:
    if not TESTBED_JSON.exists():
        missing("testbed", f"{TESTBED_JSON} not found")
    return Testbed(json.loads(TESTBED_JSON.read_text()))


def tcp_open(address: str) -> bool:
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def docker_hosts(testbed: Testbed) -> dict[str, str]:
    """The three test-bed Docker daemons, name -> DOCKER_HOST url, each checked alive."""
    import docker

    for name, url in testbed.docker_hosts.items():
        try:
            with closing(docker.DockerClient(base_url=url, timeout=10)) as client:
                client.ping()
        except Exception as exc:
            missing("docker", f"{name} at {url}: {exc}")
    if shutil.which("docker") is None:
        missing("docker", "docker CLI not on PATH")
    return testbed.docker_hosts


@pytest.fixture(scope="session")
def postgres_url(testbed: Testbed) -> str:
    """The test bed's PostgreSQL (database ``prefect``) as an SQLAlchemy asyncpg URL."""
    url = testbed.postgres_url
    if not url or not tcp_open(url.split("@", 1)[1].split("/", 1)[0]):
        missing("postgres", f"nothing listens at {url or 'the postgres_url of testbed.json'}")
    return url


@pytest.fixture
def prefect_database(postgres_url: str) -> Iterator[str]:
    """An empty PostgreSQL database for one Prefect server, dropped afterwards."""
    from tests.support.postgres import fresh_database

    with fresh_database(postgres_url) as url:
        yield url


@pytest.fixture(scope="session")
def mongodb_url(testbed: Testbed) -> str:
    url = testbed.mongodb_url
    if not tcp_open(url.removeprefix("mongodb://").rstrip("/")):
        missing("ferretdb", f"nothing listens at {url}")
    return url


@pytest.fixture(scope="session")
def kopia_bin(testbed: Testbed) -> str:
    if not os.access(testbed.kopia, os.X_OK):
        missing("kopia", f"{testbed.kopia} not built")
    return testbed.kopia


@pytest.fixture(scope="session")
def mongotools(testbed: Testbed) -> dict[str, str]:
    """The MongoDB Database Tools built by the test bed: name -> path (mongodump, mongorestore)."""
    for name, path in testbed.mongotools.items():
        if not path or not os.access(path, os.X_OK):
            missing("mongotools", f"{name} not built at {path or 'the path in testbed.json'}")
    return testbed.mongotools


@pytest.fixture(scope="session")
def ssh_target(testbed: Testbed) -> dict[str, Any]:
    ssh = testbed.ssh
    if not tcp_open(f"{ssh['host']}:{ssh['port']}"):
        missing("sshd", f"nothing listens at {ssh['host']}:{ssh['port']}")
    return ssh


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One Prefect test server for the session (heartbeats off; a patient start-up on a loaded machine)."""
    from prefect.settings import PREFECT_RUNNER_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with (
        temporary_settings({PREFECT_RUNNER_HEARTBEAT_FREQUENCY: None}),
        prefect_test_harness(server_startup_timeout=180),
    ):
        yield


@pytest.fixture(scope="session")
def testbed_image(testbed: Testbed, docker_hosts: dict[str, str]) -> str:
    """The FROM-scratch busybox image, present on every test-bed daemon."""
    import docker

    for name, url in docker_hosts.items():
        with closing(docker.DockerClient(base_url=url)) as client:
            try:
                client.images.get(testbed.base_image)
            except docker.errors.ImageNotFound:
                missing("image", f"{testbed.base_image} not loaded on {name}")
    return testbed.base_image


@pytest.fixture(scope="session")
def registry(testbed: Testbed) -> str:
    if not tcp_open(testbed.registry):
        missing("registry", f"nothing listens at {testbed.registry}")
    return testbed.registry


@pytest.fixture(scope="session")
def chromium_bin() -> str:
    """Debian's headless-capable Chromium, for the browser check of the Prefect UI."""
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.access(path, os.X_OK):
        missing("chromium", f"{path} not installed")
    return path


COMPONENTS_BY_TEST: dict[str, tuple[str, ...]] = {}
COMPONENT_MARKERS = (
    "unit",
    "api",
    "docker",
    "registry",
    "mongo",
    "kopia",
    "ssh",
    "postgres",
    "prefect",
    "e2e",
)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print, per component marker, how many tests passed, failed and skipped."""
    counts: dict[str, dict[str, int]] = {m: {} for m in COMPONENT_MARKERS}
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            for marker in COMPONENTS_BY_TEST.get(getattr(report, "nodeid", ""), ()):
                counts[marker][outcome] = counts[marker].get(outcome, 0) + 1
    terminalreporter.section("components exercised")
    for marker, by_outcome in counts.items():
        if by_outcome:
            parts = ", ".join(f"{n} {o}" for o, n in sorted(by_outcome.items()))
            terminalreporter.write_line(f"{marker:>9}: {parts}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/unit is a unit test (the fast tier: `make unit`).

    Also notes each test's component markers for the summary: markers, not
    keywords, since keywords include directory names (tests/unit/api is not
    the ``api`` tier).
    """
    for item in items:
        if "/tests/unit/" in str(item.path):
            item.add_marker(pytest.mark.unit)
        marks = {mark.name for mark in item.iter_markers()}
        COMPONENTS_BY_TEST[item.nodeid] = tuple(m for m in COMPONENT_MARKERS if m in marks)
