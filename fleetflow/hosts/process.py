"""Run a local process: stream its lines, enforce a real timeout, report how it ended."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Mapping, Sequence

from fleetflow.errors import CommandFailed, ComponentUnavailable
from fleetflow.hosts.base import TIMEOUT_EXIT, OnLine, RunResult

_LINE_LIMIT = 1 << 20


async def _pump(stream: asyncio.StreamReader | None, sink: list[str], on_line: OnLine | None) -> None:
    if stream is None:
        return
    while True:
        raw = await stream.readline()
        if not raw:
            return
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        sink.append(line)
        if on_line is not None:
            on_line(line)


def _kill_group(proc: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


async def run_process(
    host: str,
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    timeout: float,
    on_line: OnLine | None = None,
    check: bool = True,
) -> RunResult:
    """Run ``argv`` (own process group), stream lines to ``on_line``, kill the group at ``timeout``.

    Raises :class:`CommandFailed` on a non-zero exit when ``check`` (exit 124 on timeout)
    and :class:`ComponentUnavailable` when the program or ``cwd`` does not exist.
    """
    started = time.perf_counter()
    full_env = {**os.environ, **(env or {})}
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=full_env,
            cwd=cwd,
            start_new_session=True,
            limit=_LINE_LIMIT,
        )
    except (FileNotFoundError, NotADirectoryError, PermissionError) as exc:
        raise ComponentUnavailable(
            f"on {host}: cannot start `{argv[0]}` (cwd {cwd or '.'}): {exc.strerror or exc}",
            hint="check that the program is installed and the directory exists",
        ) from exc
    out: list[str] = []
    err: list[str] = []
    timed_out = False
    pumps = asyncio.gather(_pump(proc.stdout, out, on_line), _pump(proc.stderr, err, on_line), proc.wait())
    try:
        await asyncio.wait_for(asyncio.shield(pumps), timeout)
    except TimeoutError:
        timed_out = True
        _kill_group(proc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(pumps, 5)
    except asyncio.CancelledError:
        _kill_group(proc)
        raise
    status = TIMEOUT_EXIT if timed_out else (proc.returncode if proc.returncode is not None else -1)
    if timed_out:
        err.append(f"timed out after {timeout:g} s; process group killed")
    result = RunResult(tuple(argv), status, "\n".join(out), "\n".join(err), time.perf_counter() - started)
    if check and status != 0:
        raise CommandFailed(host, argv, status, result.stderr or result.stdout)
    return result
