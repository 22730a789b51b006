"""The test-bed sshd on 127.0.0.1 runs commands for asyncssh with key auth and host-key checking."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncssh
import pytest

pytestmark = pytest.mark.ssh


def test_run_command_over_ssh(ssh_target: dict[str, Any]) -> None:
    async def run() -> asyncssh.SSHCompletedProcess:
        async with asyncssh.connect(
            ssh_target["host"],
            port=ssh_target["port"],
            username=ssh_target["user"],
            client_keys=[ssh_target["client_key"]],
            known_hosts=ssh_target["known_hosts"],
        ) as conn:
            return await conn.run("echo fleetflow-$((40 + 2)) && uname -s", check=True, timeout=20)

    result = asyncio.run(run())
    assert result.stdout == "fleetflow-42\nLinux\n"


def test_unknown_host_key_is_refused(ssh_target: dict[str, Any], tmp_path: Any) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")

    async def run() -> None:
        async with asyncssh.connect(
            ssh_target["host"],
            port=ssh_target["port"],
            username=ssh_target["user"],
            client_keys=[ssh_target["client_key"]],
            known_hosts=str(empty),
        ):
            pass

    with pytest.raises(asyncssh.HostKeyNotVerifiable):
        asyncio.run(run())
