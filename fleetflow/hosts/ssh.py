"""An agentless Docker host reached over SSH (asyncssh): the same interface as :class:`LocalHost`.

- One connection per host, opened lazily under a lock and reused; a dropped one is reopened.
- All asyncssh work runs on one background event loop thread (:class:`IoLoop`), so the host
  works from any caller loop (Prefect may use several) and the sync :meth:`SshHost.docker`
  can be used from any thread, including an event loop's. ``on_line`` is still called in the
  caller's thread and context.
- Commands go to ``sh -s`` as a script on stdin (env values never appear on a command line);
  the script reports its process group first, so a timeout kills the whole remote group.
- Docker: paramiko is not installed, so the SDK's ``ssh://`` transport is not used; instead each
  :meth:`SshHost.docker` block forwards a private local unix socket to the remote engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import os
import posixpath
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import PurePosixPath
from typing import Any, TypeVar

import asyncssh
import docker

from fleetflow.errors import CommandFailed, ComponentUnavailable, ConfigError, FleetflowError
from fleetflow.hosts.base import TIMEOUT_EXIT, OnLine, RunResult, compose_argv
from fleetflow.hosts.connect import SshAddress, SshOptions
from fleetflow.hosts.ioloop import IoLoop
from fleetflow.hosts.remote_shell import parse_markers, remote_script, safe_relpath

log = logging.getLogger(__name__)
T = TypeVar("T")

KILL_WAIT_S = 5.0


class SshHost:
    """A Docker host reached over SSH; commands run remotely with ``DOCKER_HOST=docker_host``."""

    def __init__(
        self,
        name: str,
        address: SshAddress,
        *,
        stacks_root: str,
        docker_host: str,
        options: SshOptions,
        io: IoLoop | None = None,
    ) -> None:
        self._name = name
        self.address = address
        self._root = PurePosixPath(stacks_root)
        self.docker_host = docker_host
        self.options = options
        self._io = io or IoLoop.shared()
        self._conn: asyncssh.SSHClientConnection | None = None
        self._lock: asyncio.Lock | None = None

    @property
    def name(self) -> str:
        return self._name

    @property
    def stacks_root(self) -> PurePosixPath:
        return self._root

    def __repr__(self) -> str:
        return f"SshHost({self._name!r}, {str(self.address)!r}, docker_host={self.docker_host!r})"

    # -- connection -------------------------------------------------------------------------

    def _unavailable(self, what: str, exc: BaseException) -> ComponentUnavailable:
        where = f"{self._name} ({self.address})"
        reason = getattr(exc, "reason", "") or getattr(exc, "strerror", "") or type(exc).__name__
        if isinstance(exc, asyncssh.HostKeyNotVerifiable):
            known = self.options.known_hosts or "~/.ssh/known_hosts"
            hint = (
                f"the host key is not in {known}: verify it, then add it "
                f"(ssh-keyscan -p {self.address.port} {self.address.host} >> {known})"
            )
        elif isinstance(exc, asyncssh.PermissionDenied):
            hint = f"the key was refused: check the key configured for this server and {self.address.user}'s"
            hint += " authorized_keys"
        else:
            hint = "check that the host is up, sshd listens on that port and the network allows it"
        return ComponentUnavailable(f"SSH to {where}: {what} failed: {reason}", hint=hint)

    def _client_keys(self) -> list[asyncssh.SSHKey]:
        opts = self.options
        passphrase = opts.passphrase.get_secret_value() if opts.passphrase else None
        try:
            if opts.key is not None:
                return [asyncssh.import_private_key(opts.key.get_secret_value(), passphrase)]
            if opts.key_path is not None:
                return [asyncssh.read_private_key(str(opts.key_path), passphrase)]
        except (asyncssh.KeyImportError, asyncssh.KeyEncryptionError, OSError) as exc:
            source = "the key secret" if opts.key is not None else f"key file {opts.key_path}"
            raise ConfigError(
                f"server {self._name}: {source} is not a usable private key ({type(exc).__name__})",
                hint="give an OpenSSH/PEM private key and its passphrase, if it has one",
            ) from None  # the library's message could quote key text: never chain it
        return []

    async def _open(self) -> asyncssh.SSHClientConnection:
        opts = self.options
        if opts.insecure_skip_host_key_check:
            log.warning("SSH to %s (%s): host key NOT checked (insecure opt-out)", self._name, self.address)
            known_hosts: Any = None
        else:
            known_hosts = str(opts.known_hosts) if opts.known_hosts else ()
        keys = self._client_keys()
        try:
            return await asyncssh.connect(
                self.address.host,
                port=self.address.port,
                username=self.address.user,
                client_keys=keys or (),
                known_hosts=known_hosts,
                agent_path=None if keys else (),
                config=None,
                connect_timeout=opts.connect_timeout_s,
                keepalive_interval=opts.keepalive_s,
            )
        except (TimeoutError, asyncssh.Error, OSError) as exc:
            raise self._unavailable("connect", exc) from exc

    async def _connection(self) -> asyncssh.SSHClientConnection:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._conn is None or self._conn.is_closed():
                self._conn = await self._open()
            return self._conn

    def _forget(self, conn: asyncssh.SSHClientConnection) -> None:
        if self._conn is conn:
            self._conn = None
        conn.abort()

    async def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
            await conn.wait_closed()

    async def close(self) -> None:
        """Close the connection (the next call opens a new one)."""
        await self._io.call(self._close())

    # -- commands ---------------------------------------------------------------------------

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
        script = remote_script(argv, {"DOCKER_HOST": self.docker_host, **(env or {})}, cwd)
        ctx = contextvars.copy_context()
        caller = asyncio.get_running_loop()

        def emit(line: str) -> None:
            if on_line is not None:
                with contextlib.suppress(RuntimeError):  # the caller's loop is already closed
                    caller.call_soon_threadsafe(on_line, line, context=ctx)

        status, out, err, took = await self._io.call(self._run(script, timeout, emit))
        if status == -127:
            missing = "directory" if err[-1].endswith("cwd") else "program"
            raise ComponentUnavailable(
                f"on {self._name}: cannot start `{argv[0]}` (cwd {cwd or '~'}): {missing} not found",
                hint="check that the program is installed and the directory exists on that host",
            )
        result = RunResult(tuple(argv), status, "\n".join(out), "\n".join(err), took)
        if check and status != 0:
            raise CommandFailed(self._name, argv, status, result.stderr or result.stdout)
        return result

    async def _run(
        self, script: str, timeout: float, emit: OnLine
    ) -> tuple[int, list[str], list[str], float]:
        started = time.perf_counter()
        conn = await self._connection()
        try:
            proc = await conn.create_process("sh -s", input=script, encoding="utf-8", errors="replace")
        except (asyncssh.Error, OSError) as exc:
            self._forget(conn)
            raise self._unavailable("starting a command", exc) from exc
        out: list[str] = []
        err: list[str] = []
        markers: dict[str, str] = {}

        async def pump(reader: asyncssh.SSHReader[str], sink: list[str], is_err: bool) -> None:
            while line := await reader.readline():
                text = line.rstrip("\r\n")
                if is_err and parse_markers(text, markers):
                    continue
                sink.append(text)
                emit(text)

        pumps = asyncio.gather(
            pump(proc.stdout, out, False), pump(proc.stderr, err, True), proc.wait_closed()
        )
        try:
            await asyncio.wait_for(asyncio.shield(pumps), timeout)
        except TimeoutError:
            await self._kill(conn, proc, markers)
            with contextlib.suppress(TimeoutError, asyncio.CancelledError, asyncssh.Error):
                await asyncio.wait_for(pumps, KILL_WAIT_S)
            err.append(f"timed out after {timeout:g} s; remote process group killed")
            return TIMEOUT_EXIT, out, err, time.perf_counter() - started
        except asyncio.CancelledError:
            await asyncio.shield(self._kill(conn, proc, markers))
            pumps.cancel()
            raise
        except (asyncssh.Error, OSError) as exc:
            self._forget(conn)
            raise self._unavailable("running a command", exc) from exc
        if "failed" in markers:
            return -127, out, [f"start failed: {markers['failed']}"], time.perf_counter() - started
        if proc.exit_status is None and proc.exit_signal is None:
            self._forget(conn)
            raise self._unavailable("running a command", ConnectionError("connection lost before exit"))
        status = proc.returncode if proc.returncode is not None else -1
        return status, out, err, time.perf_counter() - started

    async def _kill(
        self,
        conn: asyncssh.SSHClientConnection,
        proc: asyncssh.SSHClientProcess[str],
        markers: dict[str, str],
    ) -> None:
        """Kill the remote process group (out of band), then close the channel."""
        with contextlib.suppress(asyncssh.Error, OSError):
            proc.kill()
        for _ in range(int(KILL_WAIT_S * 10)):  # the group id is the script's first line
            if "pgid" in markers or proc.is_closing():
                break
            await asyncio.sleep(0.1)
        pgid = markers.get("pgid", "")
        if pgid.isdigit() and int(pgid) > 1:
            with contextlib.suppress(asyncssh.Error, OSError, TimeoutError):
                await asyncio.wait_for(conn.run(f"kill -s KILL -- -{pgid} {pgid}", check=False), KILL_WAIT_S)
        proc.close()

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
        argv = compose_argv(project, args, files=files, env_files=env_files)
        return await self.run(argv, cwd=cwd, timeout=timeout, on_line=on_line, check=check)

    # -- files ------------------------------------------------------------------------------

    async def put_files(self, dest_dir: str, files: Mapping[str, bytes], *, mode: int = 0o644) -> None:
        checked = {safe_relpath(dest_dir, rel): content for rel, content in files.items()}
        await self._io.call(self._put(dest_dir, checked, mode))

    async def _put(self, dest_dir: str, files: Mapping[str, bytes], mode: int) -> None:
        conn = await self._connection()
        try:
            async with conn.start_sftp_client() as sftp:
                await sftp.makedirs(dest_dir, exist_ok=True)
                for target, content in files.items():
                    parent = posixpath.dirname(target)
                    await sftp.makedirs(parent, exist_ok=True)
                    tmp = posixpath.join(parent, f".ff-{uuid.uuid4().hex[:12]}")
                    attrs = asyncssh.SFTPAttrs(permissions=mode)
                    try:
                        async with sftp.open(tmp, "wb", attrs=attrs) as fh:
                            await fh.write(content)
                        await sftp.chmod(tmp, mode)
                        await sftp.posix_rename(tmp, target)
                    except asyncssh.SFTPError:
                        with contextlib.suppress(asyncssh.Error, OSError, BrokenPipeError):
                            await sftp.remove(tmp)
                        raise
        except asyncssh.SFTPConnectionLost as exc:
            self._forget(conn)
            raise self._unavailable(f"upload to {dest_dir}", exc) from exc
        except asyncssh.SFTPError as exc:
            raise FleetflowError(
                f"on {self._name}: cannot write files under {dest_dir}: {exc.reason}",
                hint="check the directory's permissions and free space on that host",
            ) from exc
        except (asyncssh.Error, OSError) as exc:
            self._forget(conn)
            raise self._unavailable(f"upload to {dest_dir}", exc) from exc

    async def remove(self, path: str) -> None:
        if posixpath.normpath(path) in ("/", ".", ""):
            raise FleetflowError(f"refusing to remove {path!r} on {self._name}", hint="give a real path")
        await self.run(["rm", "-rf", "--", path], timeout=120)

    async def read_file(self, path: str) -> bytes | None:
        return await self._io.call(self._read(path))

    async def _read(self, path: str) -> bytes | None:
        conn = await self._connection()
        try:
            async with conn.start_sftp_client() as sftp, sftp.open(path, "rb") as fh:
                data: bytes = await fh.read()
                return data
        except asyncssh.SFTPNoSuchFile:
            return None
        except asyncssh.SFTPConnectionLost as exc:
            self._forget(conn)
            raise self._unavailable(f"reading {path}", exc) from exc
        except asyncssh.SFTPError as exc:
            raise FleetflowError(f"on {self._name}: cannot read {path}: {exc.reason}") from exc
        except (asyncssh.Error, OSError) as exc:
            self._forget(conn)
            raise self._unavailable(f"reading {path}", exc) from exc

    # -- docker -----------------------------------------------------------------------------

    async def _forward(self, sock: str) -> asyncssh.SSHListener:
        conn = await self._connection()
        url = self.docker_host
        try:
            if url.startswith("unix://"):
                return await conn.forward_local_path(sock, url.removeprefix("unix://"))
            if url.startswith("tcp://"):
                host, _, port = url.removeprefix("tcp://").rstrip("/").rpartition(":")
                return await conn.forward_local_path_to_port(sock, host, int(port))
        except (asyncssh.Error, OSError) as exc:
            self._forget(conn)
            raise self._unavailable(f"forwarding Docker ({url})", exc) from exc
        raise ConfigError(f"server {self._name}: docker_host {url!r} must be unix:// or tcp://host:port")

    @staticmethod
    async def _unforward(listener: asyncssh.SSHListener) -> None:
        listener.close()
        await listener.wait_closed()

    @contextmanager
    def docker(self) -> Iterator[docker.DockerClient]:
        """A Docker SDK client to the remote engine through a forwarded local unix socket."""
        tmp = tempfile.mkdtemp(prefix="ff-ssh-")
        os.chmod(tmp, 0o700)
        sock = os.path.join(tmp, "docker.sock")
        timeout = self.options.connect_timeout_s + 5
        try:
            listener = self._io.call_sync(self._forward(sock), timeout)
            try:
                try:
                    client = docker.DockerClient(base_url=f"unix://{sock}", timeout=30)
                except docker.errors.DockerException as exc:
                    raise ComponentUnavailable(
                        f"Docker on {self._name} ({self.docker_host} over {self.address}): {exc}",
                        hint="check that Docker runs on that host and docker_host names its socket",
                    ) from exc
                try:
                    yield client
                finally:
                    client.close()
            finally:
                self._io.call_sync(self._unforward(listener), timeout)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
