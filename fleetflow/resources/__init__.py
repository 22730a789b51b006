"""Resource files (Komodo's resource-sync TOML): models, loader, validation, interpolation, plan.

Pure core: reads files through a ``FileSource`` and never imports Prefect
(``PrefectSecrets`` imports it lazily, on first use)::

    loaded = validate(load_resources(Path("repo"), ["syncs"]))
    loaded.raise_for_errors()
    desired = interpolate(loaded, ChainSecrets(EnvSecrets(), FileSecrets(path)))
    print(render_text(plan(desired, current, delete=sync.config.deletes)))
"""

from fleetflow.resources.entries import (
    CONFIG_OF,
    MODEL_OF,
    Entry,
    EntryLines,
    Kind,
    Repo,
    Resources,
    ResourceSync,
    Server,
    Stack,
    Variable,
    VariableEntry,
)
from fleetflow.resources.fields import EnvMap, StrList, parse_environment, split_list
from fleetflow.resources.interpolate import MASK, Desired, digest, interpolate, references
from fleetflow.resources.loader import LoadResult, Notice, load_resources
from fleetflow.resources.order import deploy_rounds, find_cycles
from fleetflow.resources.plan import Action, FieldDiff, Plan, PlanEntry, plan, state_of
from fleetflow.resources.render import render_rows, render_text, summary
from fleetflow.resources.secrets import (
    ChainSecrets,
    EnvSecrets,
    FileSecrets,
    NoSecrets,
    PrefectSecrets,
    SecretResolver,
)
from fleetflow.resources.server import MaintenanceWindow, Reach, ServerConfig, SshAddress, parse_ssh
from fleetflow.resources.sources import FileSource, GitTreeSource, MemorySource, WorkTreeSource
from fleetflow.resources.stack import (
    DEFAULT_COMPOSE_FILES,
    ConfigFile,
    DeployCommand,
    EnvFileRef,
    Requires,
    StackConfig,
)
from fleetflow.resources.sync import SYNC_POLL_INTERVAL_SECONDS, RepoConfig, ResourceSyncConfig
from fleetflow.resources.validate import looks_like_secret, validate

__all__ = [
    "CONFIG_OF",
    "DEFAULT_COMPOSE_FILES",
    "MASK",
    "MODEL_OF",
    "SYNC_POLL_INTERVAL_SECONDS",
    "Action",
    "ChainSecrets",
    "ConfigFile",
    "DeployCommand",
    "Desired",
    "Entry",
    "EntryLines",
    "EnvFileRef",
    "EnvMap",
    "EnvSecrets",
    "FieldDiff",
    "FileSecrets",
    "FileSource",
    "GitTreeSource",
    "Kind",
    "LoadResult",
    "MaintenanceWindow",
    "MemorySource",
    "NoSecrets",
    "Notice",
    "Plan",
    "PlanEntry",
    "PrefectSecrets",
    "Reach",
    "Repo",
    "RepoConfig",
    "Requires",
    "ResourceSync",
    "ResourceSyncConfig",
    "Resources",
    "SecretResolver",
    "Server",
    "ServerConfig",
    "SshAddress",
    "Stack",
    "StackConfig",
    "StrList",
    "Variable",
    "VariableEntry",
    "WorkTreeSource",
    "deploy_rounds",
    "digest",
    "find_cycles",
    "interpolate",
    "load_resources",
    "looks_like_secret",
    "parse_environment",
    "parse_ssh",
    "plan",
    "references",
    "render_rows",
    "render_text",
    "split_list",
    "state_of",
    "summary",
    "validate",
]
