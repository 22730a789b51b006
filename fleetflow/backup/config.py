"""Backup settings (``FLEETFLOW_BACKUP_*``): what to dump, how long to keep it, where Kopia writes.

The dump root itself is ``fleetflow.settings.Settings.backup_root``. Secrets (Mongo
URLs with credentials, the Kopia password) are ``SecretStr`` and only unwrapped
at the adapter that needs them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from fleetflow.backup.kopia import Kopia
from fleetflow.backup.mongodump_tool import DumpTool
from fleetflow.backup.redact import mask_url
from fleetflow.errors import ConfigError
from fleetflow.settings import Settings

OWN_LABEL = "fleetflow"
"""Folder (under ``<backup_root>/mongo``) of the dumps of fleetflow's own state DB."""


def _split(value: Any) -> Any:
    """A JSON-free list from the environment: commas or newlines separate items."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [item.strip() for item in re.split(r"[,\n]", text) if item.strip()]
    return value


@dataclass(frozen=True)
class DumpSource:
    """One database to dump: a folder label, its URL (secret) and database name."""

    label: str
    url: SecretStr
    database: str

    @property
    def shown(self) -> str:
        """The URL with any password masked."""
        return mask_url(self.url.get_secret_value())


def source_from_url(url: str) -> DumpSource:
    """A DumpSource for a ``mongodb://host[:port]/<database>`` URL (the database is required)."""
    parts = urlsplit(url)
    database = parts.path.lstrip("/").split("/")[0]
    if parts.scheme not in ("mongodb", "mongodb+srv") or not database:
        raise ConfigError(
            f"backup Mongo URL {mask_url(url)} names no database",
            hint="use mongodb://host:port/<database> in FLEETFLOW_BACKUP_MONGO_URLS",
        )
    host = parts.netloc.rpartition("@")[2]
    label = re.sub(r"[^A-Za-z0-9.-]+", "-", f"{host}-{database}").strip("-")
    return DumpSource(label=label, url=SecretStr(url), database=database)


class BackupSettings(BaseSettings):
    """Backup configuration outside git."""

    model_config = SettingsConfigDict(env_prefix="FLEETFLOW_BACKUP_", extra="ignore")

    mongo_urls: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list,
        description="Extra MongoDB URLs to dump, each naming its database (e.g. a Komodo DB); "
        "comma- or newline-separated, or a JSON list.",
    )
    store_database: str = Field(default="fleetflow", description="Database name of fleetflow's own store.")
    keep_daily: int = Field(default=7, ge=0, description="Daily dumps (and Kopia snapshots) kept.")
    keep_weekly: int = Field(default=4, ge=0, description="Weekly dumps kept.")
    keep_monthly: int = Field(default=3, ge=0, description="Monthly dumps kept.")
    dump_tool: DumpTool = Field(default=DumpTool.AUTO, description="pymongo, mongodump, or auto.")
    kopia_enabled: bool = Field(default=True, description="Snapshot with Kopia after dumping.")
    kopia_bin: str = Field(default="kopia", description="The Kopia binary.")
    kopia_repo_path: Path | None = Field(default=None, description="A filesystem Kopia repository.")
    kopia_backend: str = Field(default="filesystem", description="Kopia backend: filesystem, s3, b2, sftp.")
    kopia_options: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Kopia's own options for the backend (e.g. --bucket=x); keys belong in Kopia's "
        "environment variables, not here.",
    )
    kopia_password: SecretStr | None = Field(default=None, description="The Kopia repository password.")
    kopia_password_block: str | None = Field(
        default=None, description="Name of a Prefect Secret block holding the Kopia password."
    )
    kopia_config_dir: Path | None = Field(
        default=None, description="Kopia client config; default home/kopia."
    )
    kopia_timeout_seconds: float = Field(default=3600.0, gt=0, description="Bound on each Kopia command.")
    verify_percent: float = Field(
        default=10.0, ge=0, le=100, description="Share of file contents `kopia snapshot verify` reads."
    )
    volume_paths: Annotated[list[Path], NoDecode] = Field(
        default_factory=list, description="Docker volume (or other) paths to snapshot too."
    )

    @field_validator("mongo_urls", "kopia_options", "volume_paths", mode="before")
    @classmethod
    def _split_lists(cls, value: Any) -> Any:
        return _split(value)

    def sources(self, settings: Settings) -> tuple[list[DumpSource], str]:
        """Databases to dump, and a note on fleetflow's own store ("" when it is dumped)."""
        found: list[DumpSource] = []
        note = ""
        if settings.store_url is None or settings.store_url.get_secret_value() in ("", "embedded"):
            note = (
                f"fleetflow's embedded store ({settings.embedded_store_path}) cannot be dumped with "
                "pymongo: its folder is snapshot by Kopia instead"
            )
        else:
            found.append(DumpSource(OWN_LABEL, settings.store_url, self.store_database))
        found.extend(source_from_url(url.get_secret_value()) for url in self.mongo_urls)
        labels = [s.label for s in found]
        if len(set(labels)) != len(labels):
            raise ConfigError(f"backup Mongo URLs repeat a database: {', '.join(sorted(labels))}")
        return found, note

    def kopia_repository(self) -> tuple[str, list[str]]:
        """Kopia's backend name and options, or ConfigError when no repository is configured."""
        if self.kopia_repo_path is not None:
            return "filesystem", ["--path", str(self.kopia_repo_path)]
        if self.kopia_options:
            return self.kopia_backend, list(self.kopia_options)
        raise ConfigError(
            "no Kopia repository configured",
            hint="set FLEETFLOW_BACKUP_KOPIA_REPO_PATH (or _KOPIA_BACKEND and _KOPIA_OPTIONS), "
            "or FLEETFLOW_BACKUP_KOPIA_ENABLED=false",
        )

    def resolve_password(self) -> SecretStr:
        """The Kopia password: from the environment, else from the named Prefect Secret block."""
        if self.kopia_password is not None and self.kopia_password.get_secret_value():
            return self.kopia_password
        if self.kopia_password_block:
            from prefect.blocks.system import Secret

            try:
                block: Any = Secret.load(self.kopia_password_block)
            except ValueError as exc:
                raise ConfigError(
                    f"Prefect Secret block {self.kopia_password_block!r} not found",
                    hint="create it, or set FLEETFLOW_BACKUP_KOPIA_PASSWORD",
                ) from exc
            return SecretStr(str(block.get()))
        raise ConfigError(
            "no Kopia repository password",
            hint="set FLEETFLOW_BACKUP_KOPIA_PASSWORD or FLEETFLOW_BACKUP_KOPIA_PASSWORD_BLOCK",
        )

    def snapshot_paths(self, settings: Settings) -> tuple[list[Path], list[str]]:
        """Folders Kopia snapshots (dumps, stack dirs, embedded store, volumes), and notes on skips.

        A configured volume path that is missing is a ConfigError; so is a filesystem
        repository inside one of the snapshot folders.
        """
        notes: list[str] = []
        wanted = [(dumps_root(settings), "Mongo dumps"), (settings.resolved_stacks_root, "stack dirs")]
        if settings.store_url is None or settings.store_url.get_secret_value() in ("", "embedded"):
            wanted.append((settings.embedded_store_path, "embedded store"))
        paths = []
        for path, what in wanted:
            if path.is_dir():
                paths.append(path)
            else:
                notes.append(f"{what} folder {path} does not exist: not snapshot")
        missing = [str(p) for p in self.volume_paths if not p.exists()]
        if missing:
            raise ConfigError(
                f"backup volume path(s) {', '.join(missing)} do not exist",
                hint="fix FLEETFLOW_BACKUP_VOLUME_PATHS",
            )
        paths.extend(self.volume_paths)
        repo = self.kopia_repo_path.resolve() if self.kopia_repo_path else None
        if repo is not None and any(repo.is_relative_to(p.resolve()) for p in paths):
            raise ConfigError(
                f"the Kopia repository {repo} lies inside a folder it would snapshot",
                hint="put FLEETFLOW_BACKUP_KOPIA_REPO_PATH outside the backup root, stacks and volumes",
            )
        return paths, notes

    def config_dir(self, settings: Settings) -> Path:
        """Kopia's client config dir."""
        return self.kopia_config_dir or settings.home / "kopia"

    def kopia_client(self, settings: Settings) -> Kopia:
        """The Kopia wrapper for the configured repository (password resolved, not yet connected)."""
        return Kopia(
            self.kopia_bin,
            self.config_dir(settings),
            password=self.resolve_password(),
            timeout_seconds=self.kopia_timeout_seconds,
        )


def dumps_root(settings: Settings) -> Path:
    """Where the Mongo dumps go: ``<backup_root>/mongo/<label>/<stamp>/<db>/``."""
    return settings.backup_root / "mongo"


def load_backup_settings() -> BackupSettings:
    """Backup settings from the environment."""
    return BackupSettings()
