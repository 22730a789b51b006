"""Host checks against the real test-bed daemons: external networks and volumes, absolute paths,
published ports (free, or owned by the stack's own project), and an unreachable host."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from contextlib import closing, suppress
from pathlib import Path

import docker
import pytest
from typer.testing import CliRunner

from fleetflow.cli.app import app
from fleetflow.hosts.base import HostConnection
from fleetflow.hosts.connect import connect
from fleetflow.resources import EnvSecrets, Server, WorkTreeSource
from fleetflow.validate import Finding, OfflineSecrets, validate_repo
from fleetflow.validate.hostrun import run_host_checks

pytestmark = [pytest.mark.docker]


def _host_port(container: docker.models.containers.Container) -> int:
    """The host port Docker picked for the container's 8080/tcp."""
    container.reload()
    return int(container.ports["8080/tcp"][0]["HostPort"])


@pytest.fixture
def names() -> dict[str, str]:
    tag = uuid.uuid4().hex[:8]
    return {
        "net": f"ffv-net-{tag}",
        "vol": f"ffv-vol-{tag}",
        "other": f"ffv-other-{tag}",
        "own": f"ffv-own-{tag}",
    }


@pytest.fixture
def host1(
    docker_hosts: dict[str, str], testbed_image: str, names: dict[str, str]
) -> Iterator[dict[str, object]]:
    """On host1: a network and a volume that exist, and two containers publishing ports on 127.0.0.1."""
    url = docker_hosts["host1"]
    with closing(docker.DockerClient(base_url=url)) as client:
        net = client.networks.create(names["net"], driver="bridge")
        vol = client.volumes.create(names["vol"])
        started = []
        for project in (names["other"], names["own"]):
            started.append(
                client.containers.run(
                    testbed_image,
                    ["sleep", "600"],
                    detach=True,
                    name=f"{project}-app-1",
                    network=names["net"],
                    labels={"com.docker.compose.project": project},
                    ports={"8080/tcp": ("127.0.0.1", None)},  # Docker picks a free port: no race
                )
            )
        try:
            yield {"url": url, "taken": _host_port(started[0]), "owned": _host_port(started[1])}
        finally:
            for c in started:
                with suppress(docker.errors.NotFound):
                    c.remove(force=True)
            with suppress(docker.errors.APIError):
                net.remove()
            with suppress(docker.errors.APIError):
                vol.remove(force=True)


def _repo(root: Path, url: str, names: dict[str, str], taken: int, owned: int, present: Path) -> Path:
    files = {
        "syncs/servers.toml": (
            f'[[server]]\nname = "h1"\n[server.config]\naddress = "{url}"\n\n'
            '[[server]]\nname = "gone"\n[server.config]\naddress = "unix:///nonexistent/ffv.sock"\n'
        ),
        "syncs/stacks.toml": (
            f'[[stack]]\nname = "app"\n[stack.config]\nserver = "h1"\nrun_directory = "app"\n'
            f'project_name = "{names["own"]}"\n\n'
            '[[stack]]\nname = "far"\n[stack.config]\nserver = "gone"\nrun_directory = "far"\n'
        ),
        "app/compose.yaml": (
            "services:\n"
            "  web:\n"
            "    image: busybox\n"
            f"    ports: ['127.0.0.1:{owned}:80', '127.0.0.1:{taken}:81']\n"
            f"    volumes: ['{present}:/a', '/nonexistent/ffv-data:/b', 'data:/c', 'cache:/d']\n"
            "    networks: [edge, lost]\n"
            "networks:\n"
            "  edge:\n"
            "    external: true\n"
            f"    name: {names['net']}\n"
            "  lost:\n"
            "    external: true\n"
            "    name: ffv-no-such-network\n"
            "volumes:\n"
            "  data:\n"
            "    external: true\n"
            f"    name: {names['vol']}\n"
            "  cache:\n"
            "    external: true\n"
        ),
        "far/compose.yaml": "services:\n  x:\n    image: busybox\n",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_host_checks_on_a_real_daemon_and_an_unreachable_host(
    host1: dict[str, object], names: dict[str, str], tmp_path: Path
) -> None:
    present = tmp_path / "present"
    present.mkdir()
    taken, owned = int(str(host1["taken"])), int(str(host1["owned"]))
    repo = _repo(tmp_path / "repo", str(host1["url"]), names, taken, owned, present)
    report, desired = validate_repo(WorkTreeSource(repo), ["syncs"], secrets=OfflineSecrets(EnvSecrets({})))
    assert report.ok, [str(f) for f in report]

    def conn(server: Server) -> HostConnection:
        return connect(server.name, server.config.address, stacks_root=tmp_path / "stacks")

    found = asyncio.run(run_host_checks(desired, report, conn, timeout=60))
    got = sorted((f.check, f.stack, f.where, f.message) for f in found)
    assert got == sorted(
        [
            (
                "host.network",
                "app",
                "app/compose.yaml:11",
                "external network 'ffv-no-such-network' does not exist on server 'h1'",
            ),
            (
                "host.volume",
                "app",
                "app/compose.yaml:18",
                "external volume 'cache' does not exist on server 'h1'",
            ),
            (
                "host.path",
                "app",
                "app/compose.yaml:5",
                "host path '/nonexistent/ffv-data' does not exist on server 'h1'",
            ),
            (
                "host.port",
                "app",
                "app/compose.yaml:4",
                f"host port 127.0.0.1:{taken}/tcp on server 'h1' is taken by container "
                f"'{names['other']}-app-1' of project '{names['other']}'",
            ),
            ("host.unreachable", "", "", _unreachable(found)),
        ]
    ), got
    assert not report.ok
    assert {f.stack for f in report.errors} == {"app", ""}


def _unreachable(found: list[Finding]) -> str:
    """The unreachable host's message (its reason comes from the OS), checked for its subject."""
    messages = [f.message for f in found if f.check == "host.unreachable"]
    assert len(messages) == 1, messages
    assert messages[0].startswith("server 'gone' could not be checked: ")
    return messages[0]


def test_cli_host_checks(host1: dict[str, object], names: dict[str, str], tmp_path: Path) -> None:
    present = tmp_path / "present"
    present.mkdir()
    taken, owned = int(str(host1["taken"])), int(str(host1["owned"]))
    repo = _repo(tmp_path / "repo", str(host1["url"]), names, taken, owned, present)
    offline = CliRunner().invoke(app, ["validate", str(repo), "--json"])
    assert offline.exit_code == 0, offline.output
    result = CliRunner().invoke(app, ["validate", str(repo), "app", "--host-checks", "--json"])
    assert result.exit_code == 1, result.output
    checks = sorted(f["check"] for f in json.loads(result.output)["findings"])
    assert checks == ["host.network", "host.path", "host.port", "host.volume"]  # "far" not selected
