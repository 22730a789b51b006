"""``[[stack]]`` config: a compose project on one server (fleetflow defaults)."""

from __future__ import annotations

import posixpath
from enum import StrEnum
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator

from fleetflow.paths import lexical
from fleetflow.resources.fields import EnvMap, StrList

DEFAULT_COMPOSE_FILES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")


class DeployCommand(BaseModel):
    """A ``pre_deploy`` / ``post_deploy`` command run in ``path`` (relative to the run directory)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    path: str = ""
    command: str = ""
    shell_mode: bool = True

    @property
    def is_empty(self) -> bool:
        return not self.command.strip()


class EnvFileRef(BaseModel):
    """An additional env file; ``track`` means changes to it redeploy the stack."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    path: str
    track: bool = True


class Requires(StrEnum):
    """What a change to a tracked config file requires."""

    REDEPLOY = "Redeploy"
    RESTART = "Restart"
    NONE = "None"


class ConfigFile(BaseModel):
    """An extra tracked input file and what a change to it requires."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    path: str
    services: StrList = Field(default_factory=list)
    requires: Requires = Requires.REDEPLOY


class StackConfig(BaseModel):
    """Everything that decides how a stack is deployed."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    server: str = Field(default="", validation_alias=AliasChoices("server", "server_id"))
    project_name: str = ""
    linked_repo: str = ""
    repo: str = ""
    branch: str = "main"
    commit: str = ""
    git_provider: str = "github.com"
    git_https: bool = True
    git_account: str = ""
    clone_path: str = ""
    reclone: bool = False
    run_directory: str = ""
    file_paths: StrList = Field(default_factory=list)
    files_on_host: bool = False
    env_file_path: str = ".env"
    additional_env_files: list[EnvFileRef] = Field(default_factory=list)
    environment: EnvMap = Field(default_factory=dict)
    poll_for_updates: bool = True
    auto_update: bool = True
    auto_update_all_services: bool = False
    auto_update_skip_services: StrList = Field(default_factory=list)
    auto_pull: bool = True
    run_build: bool = False
    destroy_before_deploy: bool = False
    webhook_enabled: bool = False
    webhook_secret: str = ""
    webhook_force_deploy: bool = False
    pre_deploy: DeployCommand = Field(default_factory=DeployCommand)
    post_deploy: DeployCommand = Field(default_factory=DeployCommand)
    extra_args: StrList = Field(default_factory=list)
    build_extra_args: StrList = Field(default_factory=list)
    ignore_services: StrList = Field(default_factory=list)
    config_files: list[ConfigFile] = Field(default_factory=list)
    send_alerts: bool = True
    registry_provider: str = ""
    registry_account: str = ""
    skip_secret_interp: bool = False
    compose_cmd_wrapper: str = ""
    compose_cmd_wrapper_include: StrList = Field(default_factory=list)
    file_contents: str = ""
    # Komodo fields fleetflow accepts but does not use
    links: StrList = Field(default_factory=list)
    swarm: str = ""
    swarm_id: str = ""

    @field_validator("additional_env_files", mode="before")
    @classmethod
    def _env_files(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [p.strip() for p in value.replace(",", "\n").splitlines() if p.strip()]
        if isinstance(value, list):
            return [{"path": v} if isinstance(v, str) else v for v in value]
        return value

    @model_validator(mode="after")
    def _paths_inside_repo(self) -> StackConfig:
        check_repo_paths(self)
        return self

    @property
    def compose_candidates(self) -> tuple[str, ...]:
        """Compose files relative to the run directory: the given ones, else the default names."""
        return tuple(self.file_paths) or DEFAULT_COMPOSE_FILES

    @property
    def uses_repo_files(self) -> bool:
        """False when the compose file is inline or already on the host."""
        return not (self.files_on_host or self.file_contents)


def repo_paths(cfg: StackConfig) -> list[tuple[str, str, str]]:
    """(field, value, path relative to the repo root) of the env, config and hook paths of a stack.

    ``run_directory`` and ``file_paths`` are checked by :mod:`fleetflow.resources.validate`
    (which follows the repository's symlinks); a run directory that leaves is left to it.
    """
    run_dir = lexical(cfg.run_directory.strip("/")) or ""
    hooks = (("pre_deploy.path", cfg.pre_deploy.path), ("post_deploy.path", cfg.post_deploy.path))
    items = [("env_file_path", cfg.env_file_path)]
    items += [("additional_env_files", e.path) for e in cfg.additional_env_files]
    items += [("config_files", c.path) for c in cfg.config_files]
    items += list(hooks)
    return [(name, value, posixpath.join(run_dir, value) if value else run_dir) for name, value in items]


def check_repo_paths(cfg: StackConfig) -> None:
    """ValueError naming the field and value of the first path that leaves the repository."""
    for name, value, path in repo_paths(cfg):
        if lexical(path) is None:
            raise ValueError(
                f"{name} = {value!r} leaves the repository (absolute, `~` or `..` out of it); "
                "use a path relative to run_directory that stays inside the repository"
            )
