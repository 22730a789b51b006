"""connect() picks the host kind from the server address; ssh:// addresses are parsed strictly."""

from __future__ import annotations

import logging
from pathlib import Path, PurePosixPath

import pytest
from pydantic import SecretStr

from fleetflow.errors import ConfigError
from fleetflow.hosts import HostConnection, LocalHost
from fleetflow.hosts.connect import DEFAULT_REMOTE_DOCKER, SshAddress, SshOptions, connect, parse_ssh_address
from fleetflow.hosts.ssh import SshHost


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("ssh://root@127.0.0.1", SshAddress("root", "127.0.0.1", 22)),
        ("ssh://deploy@host.example:2222", SshAddress("deploy", "host.example", 2222)),
        ("ssh://ops%40corp@10.0.0.5:22/", SshAddress("ops@corp", "10.0.0.5", 22)),
    ],
)
def test_ssh_addresses_parse(address: str, expected: SshAddress) -> None:
    assert parse_ssh_address(address) == expected


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("ssh://10.0.0.5", "names no user"),
        ("ssh://u:pw@10.0.0.5", "must not carry a password"),
        ("ssh://u@10.0.0.5/srv", "has a path"),
        ("ssh://u@10.0.0.5:99999", "bad port"),
        ("ssh://", "not an ssh:// URL"),
        ("http://u@10.0.0.5", "not an ssh:// URL"),
    ],
)
def test_bad_ssh_addresses_say_why(address: str, why: str) -> None:
    with pytest.raises(ConfigError, match=why) as info:
        parse_ssh_address(address)
    assert "pw" not in str(info.value)


def test_empty_address_is_the_local_engine(tmp_path: Path) -> None:
    host = connect("box", "", stacks_root=tmp_path, docker_host="unix:///run/x.sock")
    assert isinstance(host, LocalHost)
    assert host.docker_host == "unix:///run/x.sock"
    assert host.stacks_root == PurePosixPath(tmp_path)


def test_unix_address_is_that_socket(tmp_path: Path) -> None:
    host = connect("box", "unix:///srv/docker.sock", stacks_root=tmp_path)
    assert isinstance(host, LocalHost)
    assert host.docker_host == "unix:///srv/docker.sock"


def test_ssh_address_is_an_ssh_host_with_the_remote_engine() -> None:
    host = connect("edge", " ssh://root@127.0.0.1:27122 ", stacks_root="/srv/stacks")
    assert isinstance(host, SshHost)
    assert isinstance(host, HostConnection)
    assert (host.name, host.stacks_root) == ("edge", PurePosixPath("/srv/stacks"))
    assert host.docker_host == DEFAULT_REMOTE_DOCKER
    assert host.address == SshAddress("root", "127.0.0.1", 27122)
    assert host.options == SshOptions()
    assert repr(host) == (
        "SshHost('edge', 'ssh://root@127.0.0.1:27122', docker_host='unix:///var/run/docker.sock')"
    )


def test_other_schemes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="neither empty, unix:// nor ssh://"):
        connect("box", "tcp://10.0.0.5:2375", stacks_root=tmp_path)


def test_secret_key_never_prints() -> None:
    opts = SshOptions(key=SecretStr("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA"), passphrase=SecretStr("pw"))
    assert "AAAA" not in repr(opts)
    assert "'pw'" not in repr(opts)
    assert opts.known_hosts is None
    assert opts.insecure_skip_host_key_check is False


def test_unusable_key_secret_is_a_config_error_without_the_key(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    key_text = "-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-key-SENTINEL\n-----END OPENSSH PRIVATE KEY-----\n"
    host = connect(
        "edge", "ssh://root@127.0.0.1", stacks_root="/s", ssh_options=SshOptions(key=SecretStr(key_text))
    )
    assert isinstance(host, SshHost)
    with pytest.raises(ConfigError, match="the key secret is not a usable private key") as info:
        host._client_keys()
    assert "SENTINEL" not in str(info.value)
    assert "SENTINEL" not in caplog.text


def test_missing_key_file_is_a_config_error(tmp_path: Path) -> None:
    opts = SshOptions(key_path=tmp_path / "nope")
    host = connect("edge", "ssh://root@127.0.0.1", stacks_root="/s", ssh_options=opts)
    assert isinstance(host, SshHost)
    with pytest.raises(ConfigError, match=f"key file {tmp_path / 'nope'} is not a usable private key"):
        host._client_keys()
