"""SshHost runs commands on the test-bed sshd: streaming, env/cwd, failures, real timeouts, reuse."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import pytest

from fleetflow.errors import CommandFailed, ComponentUnavailable
from fleetflow.hosts import TIMEOUT_EXIT, HostConnection
from fleetflow.hosts.ssh import SshHost

pytestmark = pytest.mark.ssh


async def remote_procs(host: SshHost, needle: str) -> list[str]:
    """Command lines on the host containing ``needle`` (the probe itself excluded)."""
    done = await host.run(["ps", "-eo", "args"], timeout=10)
    return [line for line in done.stdout.splitlines() if needle in line and "ps -eo" not in line]


def test_ssh_host_fits_the_protocol(host: SshHost) -> None:
    assert isinstance(host, HostConnection)


async def test_run_streams_lines_with_env_cwd_and_docker_host(host: SshHost) -> None:
    lines: list[str] = []
    result = await host.run(
        ["sh", "-c", 'echo one; echo two >&2; echo "$EXTRA|$(pwd)|$DOCKER_HOST"'],
        env={"EXTRA": "it's a secret"},
        cwd="/tmp",
        timeout=20,
        on_line=lines.append,
    )
    assert result.ok
    assert result.stdout == f"one\nit's a secret|/tmp|{host.docker_host}"
    assert result.stderr == "two"
    assert sorted(lines) == sorted(["one", "two", f"it's a secret|/tmp|{host.docker_host}"])
    assert result.argv[0] == "sh"


async def test_non_zero_exit_raises_with_host_command_status_and_stderr_tail(host: SshHost) -> None:
    script = "for i in $(seq 1 30); do echo line$i >&2; done; exit 7"
    with pytest.raises(CommandFailed) as info:
        await host.run(["sh", "-c", script], timeout=20)
    err = info.value
    assert (err.host, err.exit_status) == ("edge", 7)
    assert err.command == ["sh", "-c", script]
    assert err.stderr_tail.splitlines() == [f"line{i}" for i in range(11, 31)]
    result = await host.run(["sh", "-c", "exit 7"], timeout=20, check=False)
    assert result.exit_status == 7


async def test_timeout_kills_the_remote_process_group(host: SshHost) -> None:
    tag = f"{uuid.uuid4().int % 1000}.{uuid.uuid4().int % 1000 + 1000}"
    result = await host.run(["sh", "-c", f"sleep {tag} & sleep {tag}; echo never"], timeout=1, check=False)
    assert result.exit_status == TIMEOUT_EXIT
    assert "timed out after 1 s; remote process group killed" in result.stderr
    assert "never" not in result.stdout
    assert await remote_procs(host, f"sleep {tag}") == []
    with pytest.raises(CommandFailed) as info:
        await host.run(["sleep", tag], timeout=0.5)
    assert info.value.exit_status == TIMEOUT_EXIT


async def test_cancelling_a_run_kills_it_too(host: SshHost) -> None:
    tag = f"{uuid.uuid4().int % 1000}.{uuid.uuid4().int % 1000 + 2000}"
    task = asyncio.create_task(host.run(["sleep", tag], timeout=60))
    for _ in range(50):
        await asyncio.sleep(0.1)
        if await remote_procs(host, f"sleep {tag}"):
            break
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert task.cancelled()
    assert await remote_procs(host, f"sleep {tag}") == []


async def test_missing_program_or_directory_is_unavailable(host: SshHost) -> None:
    with pytest.raises(ComponentUnavailable, match=r"cannot start `no-such-tool` .* program not found"):
        await host.run(["no-such-tool"], timeout=10)
    with pytest.raises(ComponentUnavailable, match=r"\(cwd /no/such/dir\): directory not found"):
        await host.run(["true"], cwd="/no/such/dir", timeout=10)


async def test_one_connection_is_reused_and_reopened_after_close(host: SshHost) -> None:
    await host.run(["true"], timeout=10)
    first = host._conn
    await asyncio.gather(*(host.run(["true"], timeout=10) for _ in range(8)))
    assert host._conn is first
    await host.close()
    assert host._conn is None
    assert (await host.run(["echo", "back"], timeout=10)).stdout == "back"
    assert host._conn is not None
    assert host._conn is not first


def test_usable_from_several_event_loops(host: SshHost) -> None:
    outs = [asyncio.run(host.run(["echo", str(i)], timeout=10)).stdout for i in range(3)]
    assert outs == ["0", "1", "2"]


async def test_compose_runs_remotely_against_the_configured_engine(host: SshHost) -> None:
    result = await host.compose("ffssh-none", ["ls", "--all", "--format", "json"], timeout=30)
    assert result.stdout.startswith("[")
    assert result.argv[:8] == (
        "docker",
        "compose",
        "--ansi",
        "never",
        "--progress",
        "plain",
        "-p",
        "ffssh-none",
    )


async def test_connection_dropped_mid_command_is_unavailable(host: SshHost) -> None:
    run = asyncio.create_task(host.run(["sleep", "30"], timeout=60))
    await asyncio.sleep(0.5)
    await host.close()
    with pytest.raises(ComponentUnavailable, match=r"SSH to edge .*: running a command failed"):
        await run
    assert (await host.run(["echo", "again"], timeout=10)).stdout == "again"
