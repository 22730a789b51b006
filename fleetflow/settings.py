"""Settings that live outside git: where state, checkouts and backups go.

Read from ``FLEETFLOW_*`` environment variables (and a ``.env`` file in the
working directory, if present). Secrets are ``SecretStr`` so they never print.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_home() -> Path:
    return Path.home() / ".fleetflow"


class Settings(BaseSettings):
    """fleetflow's own configuration (never in the git repository)."""

    model_config = SettingsConfigDict(env_prefix="FLEETFLOW_", extra="ignore")

    home: Path = Field(default_factory=_default_home, description="Root for fleetflow's local files.")
    store_url: SecretStr | None = Field(
        default=None,
        description="State DB: `mongodb://...` (MongoDB or FerretDB); empty means the embedded store "
        "under `home/state`.",
    )
    stacks_root: Path | None = Field(
        default=None, description="Where stack files are materialized on a host; default `home/stacks`."
    )
    repo_cache: Path | None = Field(
        default=None, description="Where git repositories are cloned; default `home/repos`."
    )
    backup_root: Path = Field(default=Path("/backups"), description="Where Mongo dumps are written.")
    secrets_file: Path | None = Field(
        default=None, description='A TOML file of `NAME = "value"` secrets for `[[NAME]]` interpolation.'
    )
    apprise_urls: list[SecretStr] = Field(
        default_factory=list, description="Apprise URLs alerts are sent to (ntfy, Discord, Slack, ...)."
    )
    git_url_rewrite: dict[str, str] = Field(
        default_factory=dict,
        description="Clone URL prefixes fetched from elsewhere, as JSON (git's insteadOf), e.g. "
        '`{"https://github.com/": "https://mirror.lan/github/"}`; applies to stacks\' own repositories.',
    )
    poll_interval_seconds: int = Field(default=300, ge=5, description="How often poll-repo runs.")
    deploy_timeout_seconds: int = Field(
        default=180, ge=1, description="How long a deploy waits for services to be running/healthy."
    )

    @property
    def resolved_stacks_root(self) -> Path:
        """Stack dir root, defaulting under ``home``."""
        return self.stacks_root or self.home / "stacks"

    @property
    def resolved_repo_cache(self) -> Path:
        """Repo cache root, defaulting under ``home``."""
        return self.repo_cache or self.home / "repos"

    @property
    def embedded_store_path(self) -> Path:
        """Where the embedded (serverless) state store keeps its files."""
        return self.home / "state"


def load_settings() -> Settings:
    """Read settings from the environment."""
    return Settings()
