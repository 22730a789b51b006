"""The local registry on 127.0.0.1 takes a push from one host and serves it to another."""

from __future__ import annotations

import uuid
from contextlib import closing

import docker
import httpx
import pytest

pytestmark = [pytest.mark.docker, pytest.mark.registry]


def test_push_on_one_host_pull_on_another(
    docker_hosts: dict[str, str], testbed_image: str, registry: str
) -> None:
    repo = f"{registry}/fftest/busybox"
    tag = uuid.uuid4().hex[:10]
    with closing(docker.DockerClient(base_url=docker_hosts["host1"])) as h1:
        h1.images.get(testbed_image).tag(repo, tag)
        for line in h1.images.push(repo, tag, stream=True, decode=True):
            assert "error" not in line, line
        h1.images.remove(f"{repo}:{tag}")
    manifest = httpx.get(
        f"http://{registry}/v2/fftest/busybox/manifests/{tag}",
        headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"},
    )
    assert manifest.status_code == 200
    assert manifest.headers["Docker-Content-Digest"].startswith("sha256:")
    with closing(docker.DockerClient(base_url=docker_hosts["host2"])) as h2:
        pulled = h2.images.pull(repo, tag)
        try:
            assert f"{repo}:{tag}" in pulled.tags
            assert any(
                d.endswith(manifest.headers["Docker-Content-Digest"]) for d in pulled.attrs["RepoDigests"]
            )
        finally:
            h2.images.remove(f"{repo}:{tag}")
