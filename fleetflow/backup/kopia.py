"""A thin wrapper around the Kopia CLI: one config dir per repository, password via ``KOPIA_PASSWORD``.

The password is only ever put in the child's environment: never in argv, logs
or error messages. Commands run with stdin closed (no prompts) and a timeout.
"""

from __future__ import annotations

import logging
import os
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from fleetflow.backup.kopia_models import (
    BackupCommandFailed,
    RepositoryAction,
    RestoreResult,
    RetentionPolicy,
    SnapshotResult,
    VerifyResult,
    parse_json,
    parse_policy,
    parse_restored,
    parse_snapshot,
    parse_verify,
)
from fleetflow.backup.redact import scrub
from fleetflow.errors import BackupError, ComponentUnavailable

log = logging.getLogger(__name__)

_NOT_INITIALIZED = ("repository not initialized", "no such file or directory")
_BAD_PASSWORD = "invalid repository password"  # noqa: S105 (an error text, not a secret)


class Kopia:
    """Run Kopia against one repository whose client config lives in ``config_dir``."""

    def __init__(
        self,
        binary: str | Path,
        config_dir: Path,
        *,
        password: SecretStr,
        cache_dir: Path | None = None,
        timeout_seconds: float = 3600.0,
    ) -> None:
        self.binary = str(binary)
        self.config_dir = config_dir
        self.cache_dir = cache_dir or config_dir / "cache"
        self.timeout_seconds = timeout_seconds
        self._password = password

    @property
    def config_file(self) -> Path:
        """Kopia's repository config file (connection settings, no password)."""
        return self.config_dir / "repository.config"

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KOPIA_")}
        env["KOPIA_PASSWORD"] = self._password.get_secret_value()
        env["KOPIA_CHECK_FOR_UPDATES"] = "false"
        return env

    def run(self, args: Sequence[str], *, timeout_seconds: float | None = None) -> str:
        """Run ``kopia <args>`` with this repository's config; stdout, or BackupCommandFailed."""
        return self.run_both(args, timeout_seconds=timeout_seconds)[0]

    def run_both(self, args: Sequence[str], *, timeout_seconds: float | None = None) -> tuple[str, str]:
        """Like run, returning (stdout, stderr): Kopia prints its summaries on stderr."""
        self.config_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        argv = [
            self.binary,
            *args,
            f"--config-file={self.config_file}",
            f"--log-dir={self.config_dir / 'logs'}",
            "--no-progress",
        ]
        shown = ["kopia", *args]
        log.debug("running %s", " ".join(shown))
        secret = self._password.get_secret_value()
        try:
            done = subprocess.run(
                argv,
                env=self._env(),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout_seconds or self.timeout_seconds,
                check=False,
            )
        except FileNotFoundError as exc:
            raise ComponentUnavailable(f"Kopia binary {self.binary} not found", hint="install kopia") from exc
        except subprocess.TimeoutExpired as exc:
            raise BackupError(f"`{' '.join(shown)}` timed out after {exc.timeout:.0f} s") from exc
        if done.returncode != 0:
            stderr = scrub(done.stderr, secret)
            hint = "check the repository password secret" if _BAD_PASSWORD in stderr else ""
            raise BackupCommandFailed(shown, done.returncode, stderr, hint=hint)
        return scrub(done.stdout, secret), scrub(done.stderr, secret)

    def _json(self, args: Sequence[str]) -> Any:
        return parse_json(self.run([*args, "--json"]), " ".join(["kopia", *args]))

    def is_connected(self) -> bool:
        """Whether this config dir is connected to a repository that opens with the password."""
        if not self.config_file.exists():
            return False
        try:
            self.run(["repository", "status"])
        except BackupCommandFailed as exc:
            if _BAD_PASSWORD in exc.stderr_tail:
                raise
            return False
        return True

    def connect_or_create(self, backend: str, options: Sequence[str]) -> RepositoryAction:
        """Connect to the repository (e.g. ``"filesystem", ["--path", "/repo"]``), creating it on first use.

        ``backend`` and ``options`` are Kopia's own (``s3 --bucket ...``, ``b2``, ``sftp``).
        """
        if self.is_connected():
            return RepositoryAction.ALREADY_CONNECTED
        common = [
            *options,
            f"--cache-directory={self.cache_dir}",
            "--no-persist-credentials",
            "--no-use-keyring",
        ]
        try:
            self.run(["repository", "connect", backend, *common])
        except BackupCommandFailed as exc:
            if not any(marker in exc.stderr_tail.lower() for marker in _NOT_INITIALIZED):
                raise
            self.run(["repository", "create", backend, *common])
            return RepositoryAction.CREATED
        return RepositoryAction.CONNECTED

    def connect_or_create_filesystem(self, path: Path) -> RepositoryAction:
        """connect_or_create for a filesystem repository at ``path``."""
        return self.connect_or_create("filesystem", ["--path", str(path)])

    def snapshot(self, paths: Sequence[Path], *, description: str = "") -> list[SnapshotResult]:
        """Snapshot each path (one Kopia source per path); results in the given order."""
        results = []
        for path in paths:
            if not path.exists():
                raise BackupError(f"cannot snapshot {path}: it does not exist")
            extra = [f"--description={description}"] if description else []
            results.append(parse_snapshot(self._json(["snapshot", "create", str(path.resolve()), *extra])))
        return results

    def list_snapshots(self, path: Path | None = None) -> list[SnapshotResult]:
        """Snapshots of ``path`` (or of every source of this user@host), oldest first."""
        data = self._json(["snapshot", "list", *([str(path.resolve())] if path else [])])
        return [parse_snapshot(item) for item in data or []]

    def set_retention_policy(
        self,
        *,
        keep_latest: int | None = None,
        keep_daily: int | None = None,
        keep_weekly: int | None = None,
        keep_monthly: int | None = None,
        keep_annual: int | None = None,
        target: Path | None = None,
    ) -> RetentionPolicy:
        """Set Kopia's retention for ``target`` (global when None); returns the policy read back."""
        wanted = {
            "latest": keep_latest,
            "daily": keep_daily,
            "weekly": keep_weekly,
            "monthly": keep_monthly,
            "annual": keep_annual,
        }
        flags = [f"--keep-{name}={value}" for name, value in wanted.items() if value is not None]
        where = [str(target.resolve())] if target else ["--global"]
        if flags:
            self.run(["policy", "set", *where, *flags])
        return parse_policy(self._json(["policy", "show", *where]))

    def verify(self, *, verify_files_percent: float = 100.0) -> VerifyResult:
        """Verify every snapshot's metadata and read ``verify_files_percent`` of the file contents."""
        result = parse_verify(
            self._json(["snapshot", "verify", f"--verify-files-percent={verify_files_percent}"])
        )
        if result.errors:
            raise BackupError(f"kopia verify found {result.errors} error(s)", hint="see kopia logs")
        return result

    def restore(self, snapshot_id: str, target: Path) -> RestoreResult:
        """Restore snapshot ``snapshot_id`` (or ``id/sub/path``) into ``target``."""
        started = time.perf_counter()
        stdout, stderr = self.run_both(["snapshot", "restore", snapshot_id, str(target)])
        files, dirs = parse_restored(stdout + stderr)
        return RestoreResult(
            snapshot_id=snapshot_id,
            target=target,
            files=files,
            dirs=dirs,
            duration_seconds=round(time.perf_counter() - started, 3),
        )
