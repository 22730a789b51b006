"""Findings 1-2 over SSH: the symlink check runs on the host (``realpath -m`` there), so a stack
dir whose symlinks lead out cannot make a deploy write or delete outside it."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from fleetflow.deploy import DeploySpec, DeployStatus, InMemoryHistory, deploy
from fleetflow.hosts.ssh import SshHost
from tests.security.conftest import Canaries
from tests.ssh.conftest import host, make_host, ssh_address, ssh_options

__all__ = ["host", "make_host", "ssh_address", "ssh_options"]
pytestmark = [pytest.mark.ssh, pytest.mark.docker]


async def test_ssh_host_refuses_paths_leading_out(
    host: SshHost, canaries: Canaries, testbed_image: str
) -> None:
    stack = f"ffsec-{uuid.uuid4().hex[:8]}"
    stack_dir = Path(str(host.stacks_root)) / stack
    stack_dir.mkdir(parents=True)
    os.symlink(canaries.folder, stack_dir / "link")
    compose = f"services:\n  app:\n    image: {testbed_image}\n".encode()
    base = {"stack": stack, "server": "edge", "commit": "c1", "auto_pull": False, "timeout_s": 30}
    attempts = [
        ({"files": {"compose.yaml": compose}, "env_file_path": "link/inner.txt"}, "symlink"),
        ({"files": {"compose.yaml": compose, "link/inner.txt": b"pwned\n"}}, "symlink"),
        ({"files": {"compose.yaml": compose}, "env_file_path": str(canaries.file)}, "absolute"),
        ({"files": {"compose.yaml": compose}, "additional_env_files": ("link/inner.txt",)}, "symlink"),
    ]
    for fields, why in attempts:
        result = await deploy(host, DeploySpec(**base, **fields), InMemoryHistory())
        assert result.status is DeployStatus.FAILED, result.reason
        assert f"stack {stack}" in result.reason, result.reason
        assert why in result.reason, result.reason
        assert canaries.intact(), fields
