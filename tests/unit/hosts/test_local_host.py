"""LocalHost without Docker: processes (streaming, timeout, failures) and files."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from fleetflow.errors import CommandFailed, ComponentUnavailable, FleetflowError
from fleetflow.hosts import TIMEOUT_EXIT, HostConnection, LocalHost, compose_argv


@pytest.fixture
def host(tmp_path: Path) -> LocalHost:
    return LocalHost("local", stacks_root=tmp_path, docker_host="unix:///nonexistent.sock")


def test_local_host_fits_the_protocol(host: LocalHost) -> None:
    assert isinstance(host, HostConnection)


async def test_run_streams_both_streams_line_by_line_with_docker_host_set(host: LocalHost) -> None:
    lines: list[str] = []
    result = await host.run(
        ["sh", "-c", 'echo one; echo two >&2; echo "$DOCKER_HOST $EXTRA"'],
        env={"EXTRA": "x"},
        timeout=5,
        on_line=lines.append,
    )
    assert result.ok
    assert sorted(lines) == sorted(["one", "two", "unix:///nonexistent.sock x"])
    assert result.stdout.splitlines() == ["one", "unix:///nonexistent.sock x"]
    assert result.stderr == "two"


async def test_non_zero_exit_raises_with_host_command_status_and_stderr_tail(host: LocalHost) -> None:
    with pytest.raises(CommandFailed) as info:
        await host.run(["sh", "-c", "echo bad thing >&2; exit 7"], timeout=5)
    assert (info.value.host, info.value.exit_status, info.value.stderr_tail) == ("local", 7, "bad thing")
    unchecked = await host.run(["sh", "-c", "exit 7"], timeout=5, check=False)
    assert unchecked.exit_status == 7


async def test_timeout_kills_the_process_group(host: LocalHost) -> None:
    started = time.monotonic()
    result = await host.run(["sh", "-c", "sleep 30 & sleep 30"], timeout=0.3, check=False)
    assert time.monotonic() - started < 5
    assert result.exit_status == TIMEOUT_EXIT
    assert "timed out after 0.3 s" in result.stderr


async def test_missing_program_or_cwd_is_component_unavailable(host: LocalHost, tmp_path: Path) -> None:
    with pytest.raises(ComponentUnavailable, match="cannot start"):
        await host.run(["definitely-not-a-program-ff"], timeout=5)
    with pytest.raises(ComponentUnavailable):
        await host.run(["true"], cwd=str(tmp_path / "missing"), timeout=5)


async def test_put_read_remove_files(host: LocalHost, tmp_path: Path) -> None:
    await host.put_files(str(tmp_path / "d"), {"a/b.txt": b"hi", "c": b"x"}, mode=0o600)
    assert (tmp_path / "d/a/b.txt").read_bytes() == b"hi"
    assert (tmp_path / "d/c").stat().st_mode & 0o777 == 0o600
    assert await host.read_file(str(tmp_path / "d/c")) == b"x"
    assert await host.read_file(str(tmp_path / "d/nope")) is None
    await host.remove(str(tmp_path / "d/a"))
    await host.remove(str(tmp_path / "d/never-there"))
    assert not (tmp_path / "d/a").exists()
    with pytest.raises(FleetflowError, match="escapes"):
        await host.put_files(str(tmp_path / "d"), {"../evil": b"x"})
    assert not (tmp_path / "evil").exists()


def test_compose_argv_orders_global_flags_before_the_command() -> None:
    argv = compose_argv("p", ["up", "-d"], files=["a.yaml", "/o.yaml"], env_files=[".env"])
    assert argv == [
        "docker", "compose", "--ansi", "never", "--progress", "plain", "-p", "p",
        "-f", "a.yaml", "-f", "/o.yaml", "--env-file", ".env", "up", "-d",
    ]  # fmt: skip
