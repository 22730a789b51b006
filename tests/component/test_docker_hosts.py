"""The three test-bed Docker daemons are real and independent, and Compose v2 drives them."""

from __future__ import annotations

import subprocess
import uuid
from contextlib import closing
from pathlib import Path

import docker
import pytest

pytestmark = pytest.mark.docker


def test_three_independent_daemons(docker_hosts: dict[str, str]) -> None:
    roots = set()
    for name, url in docker_hosts.items():
        with closing(docker.DockerClient(base_url=url)) as client:
            info = client.info()
            assert f"fleetflow.testbed.host={name}" in info["Labels"]
            roots.add(info["DockerRootDir"])
    assert len(docker_hosts) == 3
    assert len(roots) == 3, "each host must be its own daemon with its own data-root"


def test_compose_v2_deploys_on_each_host(
    docker_hosts: dict[str, str], testbed_image: str, tmp_path: Path
) -> None:
    project = f"fftest-{uuid.uuid4().hex[:8]}"
    (tmp_path / "compose.yaml").write_text(
        "services:\n"
        "  app:\n"
        f"    image: {testbed_image}\n"
        "    command: [sleep, '600']\n"
        "    labels:\n"
        f"      fleetflow.test: {project}\n"
    )
    for name, url in docker_hosts.items():
        env = {"DOCKER_HOST": url, "PATH": "/usr/local/bin:/usr/bin:/bin"}
        compose = ["docker", "compose", "-p", project, "-f", str(tmp_path / "compose.yaml")]
        version = subprocess.run(
            ["docker", "compose", "version", "--short"], env=env, capture_output=True, text=True
        )
        assert version.stdout.strip().lstrip("v").startswith("2."), version
        try:
            subprocess.run([*compose, "up", "-d", "--wait"], env=env, check=True, capture_output=True)
            with closing(docker.DockerClient(base_url=url)) as client:
                found = client.containers.list(filters={"label": f"fleetflow.test={project}"})
                assert [c.status for c in found] == ["running"], name
                assert found[0].labels["com.docker.compose.project"] == project
                # the other hosts do not see this host's container
                for other, other_url in docker_hosts.items():
                    if other != name:
                        with closing(docker.DockerClient(base_url=other_url)) as oc:
                            assert not oc.containers.list(filters={"label": f"fleetflow.test={project}"})
        finally:
            subprocess.run([*compose, "down", "-t", "0"], env=env, capture_output=True)
        with closing(docker.DockerClient(base_url=url)) as client:
            assert not client.containers.list(all=True, filters={"label": f"fleetflow.test={project}"})
