"""Authentication and host keys against the test-bed sshd: refusals are clear and never leak keys."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncssh
import pytest
from pydantic import SecretStr

from fleetflow.errors import ComponentUnavailable
from fleetflow.hosts.connect import SshOptions, connect
from fleetflow.hosts.ssh import SshHost

MakeHost = Callable[..., SshHost]

pytestmark = pytest.mark.ssh


async def test_unknown_host_key_is_refused_by_default(make_host: MakeHost, tmp_path: Path) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    host = make_host(SshOptions(key_path=make_host().options.key_path, known_hosts=empty))
    with pytest.raises(
        ComponentUnavailable, match=r"SSH to edge \(ssh://root@127.0.0.1:\d+\): connect"
    ) as info:
        await host.run(["true"], timeout=10)
    assert f"ssh-keyscan -p {host.address.port} 127.0.0.1 >> {empty}" in str(info.value)
    assert isinstance(info.value.__cause__, asyncssh.HostKeyNotVerifiable)


async def test_insecure_opt_out_connects_and_logs_a_warning(
    make_host: MakeHost, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    key = make_host().options.key_path
    host = make_host(SshOptions(key_path=key, known_hosts=empty, insecure_skip_host_key_check=True))
    with caplog.at_level(logging.WARNING, logger="fleetflow.hosts.ssh"):
        assert (await host.run(["echo", "in"], timeout=10)).stdout == "in"
    assert "host key NOT checked (insecure opt-out)" in caplog.text


async def test_wrong_key_is_refused_without_key_material(
    make_host: MakeHost, caplog: pytest.LogCaptureFixture
) -> None:
    stranger = asyncssh.generate_private_key("ssh-ed25519")
    pem = stranger.export_private_key().decode()
    secret_line = pem.splitlines()[2]
    host = make_host(SshOptions(key=SecretStr(pem), known_hosts=make_host().options.known_hosts))
    with caplog.at_level(logging.DEBUG), pytest.raises(ComponentUnavailable) as info:
        await host.run(["true"], timeout=10)
    message = str(info.value)
    assert "connect failed" in message
    assert "the key was refused" in message
    assert "authorized_keys" in message
    assert secret_line not in message
    assert secret_line not in caplog.text


async def test_key_given_as_a_secret_value_works(make_host: MakeHost, ssh_target: dict[str, Any]) -> None:
    key_text = Path(ssh_target["client_key"]).read_text()
    host = make_host(SshOptions(key=SecretStr(key_text), known_hosts=Path(ssh_target["known_hosts"])))
    assert (await host.run(["id", "-un"], timeout=10)).stdout == ssh_target["user"]


async def test_nothing_listening_is_unavailable(ssh_options: SshOptions, tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    host = connect("gone", f"ssh://root@127.0.0.1:{port}", stacks_root=tmp_path, ssh_options=ssh_options)
    with pytest.raises(ComponentUnavailable, match=f"SSH to gone \\(ssh://root@127.0.0.1:{port}\\): connect"):
        await host.run(["true"], timeout=10)
    with pytest.raises(ComponentUnavailable, match="sshd listens on that port"):
        await host.read_file("/etc/hostname")
