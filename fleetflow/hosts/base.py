"""The host-connection interface: what the deploy engine needs from a Docker host.

One small async protocol, passed in (never global), with a local implementation
(:mod:`fleetflow.hosts.local`) and an SSH one to come. An implementation must:

- ``run`` a command (argv, no shell), stream every stdout/stderr line to
  ``on_line`` as it arrives, kill it (and its children) when ``timeout`` passes,
  and raise :class:`~fleetflow.errors.CommandFailed` on a non-zero exit when
  ``check`` is true;
- ``put_files`` (create parents, replace atomically, set ``mode``), ``remove``
  (file or tree, missing is fine) and ``read_file`` (None when missing);
- open a ``docker`` SDK client for the host's engine (a context manager);
- run ``docker compose`` for a project with :func:`compose_argv`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    import docker

OnLine = Callable[[str], None]
"""Receives each output line (without its newline) as soon as it is read."""

TIMEOUT_EXIT = 124
"""Exit status reported when a command was killed at its timeout (as timeout(1) does)."""


@dataclass(frozen=True)
class RunResult:
    """What a finished command printed and how it exited."""

    argv: tuple[str, ...]
    exit_status: int
    stdout: str
    stderr: str
    duration_s: float

    @property
    def ok(self) -> bool:
        return self.exit_status == 0


def compose_argv(
    project: str,
    args: Sequence[str],
    *,
    files: Sequence[str] = (),
    env_files: Sequence[str] = (),
    command: Sequence[str] = ("docker", "compose"),
) -> list[str]:
    """``docker compose`` (or ``command``) argv for ``project`` with plain, uncoloured progress output."""
    argv = [*command, "--ansi", "never", "--progress", "plain", "-p", project]
    for f in files:
        argv += ["-f", f]
    for e in env_files:
        argv += ["--env-file", e]
    return [*argv, *args]


@runtime_checkable
class HostConnection(Protocol):
    """A Docker host that fleetflow deploys to (local socket or SSH)."""

    @property
    def name(self) -> str:
        """The server name, used in errors and results."""
        ...

    @property
    def stacks_root(self) -> PurePosixPath:
        """Directory on the host under which each stack gets ``<stacks_root>/<stack>/``."""
        ...

    async def run(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        timeout: float,
        on_line: OnLine | None = None,
        check: bool = True,
    ) -> RunResult:
        """Run ``argv`` on the host; ``env`` is added to the host's environment."""
        ...

    async def put_files(self, dest_dir: str, files: Mapping[str, bytes], *, mode: int = 0o644) -> None:
        """Write ``files`` (relative path -> content) under ``dest_dir``, creating directories."""
        ...

    async def remove(self, path: str) -> None:
        """Remove a file or a directory tree; a missing path is not an error."""
        ...

    async def read_file(self, path: str) -> bytes | None:
        """A file's content, or None when it does not exist."""
        ...

    def docker(self) -> AbstractContextManager[docker.DockerClient]:
        """A Docker SDK client for this host's engine, closed when the block ends."""
        ...

    async def compose(
        self,
        project: str,
        args: Sequence[str],
        *,
        cwd: str | None = None,
        files: Sequence[str] = (),
        env_files: Sequence[str] = (),
        timeout: float,
        on_line: OnLine | None = None,
        check: bool = True,
    ) -> RunResult:
        """Run ``docker compose -p project [-f ...] [--env-file ...] args`` against this host's engine."""
        ...
