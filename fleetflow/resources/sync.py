"""``[[resource_sync]]`` and ``[[repo]]`` configs: which repository, which files."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from fleetflow.resources.fields import EnvMap, StrList

SYNC_POLL_INTERVAL_SECONDS = 300


class ResourceSyncConfig(BaseModel):
    """A repository of resource files fleetflow keeps applied."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    linked_repo: str = ""
    repo: str = ""
    branch: str = "main"
    commit: str = ""
    git_provider: str = "github.com"
    git_https: bool = True
    git_account: str = ""
    resource_path: StrList = Field(default_factory=list)
    managed: bool = False
    delete: bool = False
    include_resources: bool = True
    include_variables: bool = False
    include_user_groups: bool = False
    match_tags: StrList = Field(default_factory=list)
    pending_alert: bool = True
    webhook_enabled: bool = True
    webhook_secret: str = ""
    files_on_host: bool = False
    file_contents: str = ""

    @property
    def deletes(self) -> bool:
        """Resources missing from the files are deleted (``managed`` implies ``delete``)."""
        return self.delete or self.managed


class RepoConfig(BaseModel):
    """A git repository other resources link to by name."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    repo: str = Field(default="", description="Git URL or local path.")
    branch: str = "main"
    commit: str = ""
    git_provider: str = "github.com"
    git_https: bool = True
    git_account: str = Field(default="", description="Credential reference (never the credential).")
    # Komodo Repo fields accepted but not used
    server: str = Field(default="")
    server_id: str = ""
    builder: str = ""
    builder_id: str = ""
    path: str = ""
    clone_path: str = ""
    on_clone: dict[str, object] = Field(default_factory=dict)
    on_pull: dict[str, object] = Field(default_factory=dict)
    links: StrList = Field(default_factory=list)
    environment: EnvMap = Field(default_factory=dict)
    env_file_path: str = ".env"
    skip_secret_interp: bool = False
    webhook_enabled: bool = True
    webhook_secret: str = ""
