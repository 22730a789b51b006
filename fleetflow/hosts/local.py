"""The local host: commands as subprocesses, files on this filesystem, Docker via a socket."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

import docker

from fleetflow.errors import ComponentUnavailable, FleetflowError
from fleetflow.hosts.base import OnLine, RunResult, compose_argv
from fleetflow.hosts.compose_cli import local_compose
from fleetflow.hosts.process import run_process


def safe_join(root: Path, relpath: str) -> Path:
    """``root / relpath``, refusing absolute paths and ``..`` that would leave ``root``."""
    target = (root / relpath).resolve()
    if Path(relpath).is_absolute() or not target.is_relative_to(root.resolve()):
        raise FleetflowError(f"path {relpath!r} escapes {root}", hint="use a path relative to the stack dir")
    return target


def _write_files(dest: Path, files: Mapping[str, bytes], mode: int) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        target = safe_join(dest, rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".ff-")
        try:
            os.fchmod(fd, mode)
            with os.fdopen(fd, "wb") as fh:
                fh.write(content)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


class LocalHost:
    """A Docker host on this machine, reached through ``docker_host`` (default: DOCKER_HOST)."""

    def __init__(self, name: str, *, stacks_root: Path, docker_host: str | None = None) -> None:
        self._name = name
        self._root = Path(stacks_root)
        self.docker_host = docker_host or os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")

    @property
    def name(self) -> str:
        return self._name

    @property
    def stacks_root(self) -> PurePosixPath:
        return PurePosixPath(self._root)

    def __repr__(self) -> str:
        return f"LocalHost({self._name!r}, docker_host={self.docker_host!r})"

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
        full_env = {"DOCKER_HOST": self.docker_host, **(env or {})}
        return await run_process(
            self._name, argv, env=full_env, cwd=cwd, timeout=timeout, on_line=on_line, check=check
        )

    async def put_files(self, dest_dir: str, files: Mapping[str, bytes], *, mode: int = 0o644) -> None:
        try:
            await asyncio.to_thread(_write_files, Path(dest_dir), files, mode)
        except OSError as exc:
            raise self._file_error("write files under", dest_dir, exc) from exc

    async def remove(self, path: str) -> None:
        try:
            await asyncio.to_thread(_remove, Path(path))
        except OSError as exc:
            raise self._file_error("remove", path, exc) from exc

    async def read_file(self, path: str) -> bytes | None:
        try:
            return await asyncio.to_thread(Path(path).read_bytes)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            raise self._file_error("read", path, exc) from exc

    def _file_error(self, what: str, path: str, exc: OSError) -> FleetflowError:
        return FleetflowError(
            f"on {self._name}: cannot {what} {path}: {exc.strerror or type(exc).__name__}",
            hint="check the stack's paths (a file where a directory is expected?) and the permissions",
        )

    @contextmanager
    def docker(self) -> Iterator[docker.DockerClient]:
        try:
            client = docker.DockerClient(base_url=self.docker_host, timeout=30)
        except docker.errors.DockerException as exc:
            raise ComponentUnavailable(f"Docker on {self._name} ({self.docker_host}): {exc}") from exc
        try:
            yield client
        finally:
            client.close()

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
        argv = compose_argv(project, args, files=files, env_files=env_files, command=local_compose())
        return await self.run(argv, cwd=cwd, timeout=timeout, on_line=on_line, check=check)
