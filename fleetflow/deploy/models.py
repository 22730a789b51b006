"""Typed inputs and outputs of a deploy: the spec in, the result out, the action enum."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from fleetflow.errors import DeployFailed


class Hook(BaseModel):
    """A pre/post deploy command (Komodo's ``{path, command}``), run with ``sh -c`` in ``path``."""

    model_config = ConfigDict(frozen=True)

    path: str = Field(default="", description="Directory relative to the run directory.")
    command: str = Field(default="", description="Shell command; empty means no hook.")


class DeploySpec(BaseModel):
    """Everything needed to deploy one stack at one commit on its server (values already resolved)."""

    model_config = ConfigDict(frozen=True)

    stack: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", description="Stack name (its dir on the host)."
    )
    project: str = Field(
        default="", pattern=r"^([a-z0-9][a-z0-9_-]*)?$", description="Compose project; empty = stack."
    )
    server: str = Field(description="Server the stack runs on.")
    commit: str = Field(description="Commit the files come from.")
    repo: str = Field(
        default="", description="The stack's own repository (credentials removed); empty: the synced one."
    )
    files: Mapping[str, bytes] = Field(
        repr=False, description="Repo files the stack reads, by path relative to the repo root."
    )
    run_directory: str = Field(default="", description="Where compose runs, relative to the repo root.")
    file_paths: tuple[str, ...] = Field(default=(), description="Compose files relative to run_directory.")
    env_file_path: str = Field(default=".env", description="Env file written from `environment`.")
    environment: Mapping[str, str] = Field(default_factory=dict, repr=False, description="Resolved values.")
    additional_env_files: tuple[str, ...] = Field(default=(), description="Relative to run_directory.")
    pre_deploy: Hook = Field(default_factory=Hook)
    post_deploy: Hook = Field(default_factory=Hook)
    auto_pull: bool = True
    destroy_before_deploy: bool = False
    extra_args: tuple[str, ...] = Field(default=(), description="Appended to `compose up`.")
    ignore_services: tuple[str, ...] = Field(default=(), description="Not waited for / checked.")
    reclone: bool = Field(default=False, description="Wipe the stack dir before writing files.")
    files_on_host: bool = Field(
        default=False, description="Compose files live on the host at run_directory (read, never written)."
    )
    compose_cmd_wrapper: str = Field(default="", description="Shell wrapper with [[COMPOSE_COMMAND]].")
    compose_cmd_wrapper_include: tuple[str, ...] = Field(default=(), description="Wrapped subcommands.")
    run_build: bool = Field(default=False, description="`compose build` before `up`.")
    build_extra_args: tuple[str, ...] = Field(default=(), description="Appended to `compose build`.")
    registry_provider: str = Field(default="", description="Registry host pulls authenticate to.")
    registry_account: str = Field(default="", description="User name at registry_provider.")
    registry_token: SecretStr | None = Field(
        default=None, repr=False, description="Password/token of registry_account (from outside git)."
    )
    timeout_s: float = Field(default=180, gt=0, description="Bound for up + running/healthy wait.")
    settle_s: float = Field(default=1.0, ge=0, description="Services must stay up this long after start.")
    secret_values: tuple[SecretStr, ...] = Field(default=(), description="Masked in every output.")

    @field_validator("files")
    @classmethod
    def _relative_paths(cls, files: Mapping[str, bytes]) -> Mapping[str, bytes]:
        for path in files:
            norm = posixpath.normpath(path)
            if path.startswith("/") or norm == ".." or norm.startswith("../"):
                raise ValueError(f"file path {path!r} must be relative to the repo root, inside it")
        return dict(files)

    @property
    def project_name(self) -> str:
        return self.project or self.stack.lower()


class DeployStatus(StrEnum):
    GOOD = "good"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"
    SKIPPED = "skipped"


class Action(StrEnum):
    START = "start"
    STOP = "stop"
    RESTART = "restart"
    PAUSE = "pause"
    UNPAUSE = "unpause"
    PULL = "pull"
    DESTROY = "destroy"


class ServiceState(BaseModel):
    """One container of a service as read back from the host's engine."""

    model_config = ConfigDict(frozen=True)

    service: str
    container_id: str
    state: str = Field(description="Docker state: running, exited, paused, ...")
    health: str = Field(default="", description="healthy / unhealthy / starting; empty without a check.")
    fingerprint: str = Field(default="", description="The service fingerprint label stamped at deploy.")
    commit: str = ""
    exit_code: int = 0
    skip: bool = Field(default=False, description="Labelled komodo.skip: fleet-wide actions leave it.")


class DeployResult(BaseModel):
    """The outcome of a deploy or action: typed, secret-free, ready for the state DB."""

    model_config = ConfigDict(frozen=True)

    host: str
    stack: str
    project: str
    action: str = "deploy"
    status: DeployStatus
    reason: str = ""
    commit: str = ""
    repo: str = Field(default="", description="Repository of ``commit`` when not the synced one.")
    fingerprint: str = ""
    inputs_digest: str = Field(default="", description="Config + files part of the fingerprint.")
    service_fingerprints: Mapping[str, str] = Field(default_factory=dict)
    images: Mapping[str, str] = Field(default_factory=dict, description="image ref -> local image id")
    services: tuple[ServiceState, ...] = ()
    rolled_back_to: str = Field(default="", description="Commit restored by the rollback, if any.")
    durations: Mapping[str, float] = Field(default_factory=dict, description="Seconds per phase.")
    output_tail: tuple[str, ...] = ()
    output_lines: int = 0

    def raise_for_status(self) -> DeployResult:
        """Raise :class:`DeployFailed` unless the stack ended good or skipped."""
        if self.status in (DeployStatus.FAILED, DeployStatus.ROLLED_BACK):
            where = f" (rolled back to {self.rolled_back_to[:12]})" if self.rolled_back_to else ""
            raise DeployFailed(f"stack {self.stack} on {self.host} {self.status.value}{where}: {self.reason}")
        return self
