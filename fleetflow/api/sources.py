"""What an API call acts on, read from the state DB: a stack's server and a sync's repository.

Also the dry-run planner: load, validate and plan a sync's files at the
branch head against the applied state, changing nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from fleetflow.errors import ConfigError
from fleetflow.git import RepoCache
from fleetflow.git.urls import clone_url
from fleetflow.resources import (
    ChainSecrets,
    EnvSecrets,
    FileSecrets,
    PrefectSecrets,
    ResourceSyncConfig,
    SecretResolver,
    interpolate,
    load_resources,
    plan,
    render_rows,
    summary,
    validate,
)
from fleetflow.runtime.apply import as_state, read_current
from fleetflow.runtime.select import stacks_to_consider
from fleetflow.runtime.snapshot import open_snapshot
from fleetflow.settings import Settings
from fleetflow.store import StateStore


class NotFound(ConfigError):
    """The named resource is not in the state DB."""


class StackTarget(BaseModel):
    """An applied stack: where it runs and which commit applied it."""

    model_config = ConfigDict(frozen=True)

    stack: str
    server: str
    project: str
    commit: str


class SyncSource(BaseModel):
    """An applied resource sync: the repository and files it reads."""

    model_config = ConfigDict(frozen=True)

    name: str
    repo: str
    branch: str = "main"
    resource_paths: list[str] = Field(default_factory=list)
    delete: bool = False
    match_tags: list[str] = Field(default_factory=list)


def _config(record_config: dict[str, Any]) -> dict[str, Any]:
    inner = record_config.get("config", {})
    return dict(inner) if isinstance(inner, dict) else {}


def stack_target(store: StateStore, name: str) -> StackTarget:
    """The applied stack ``name``; :class:`NotFound` when there is none."""
    record = store.get_resource("stack", name)
    if record is None:
        raise NotFound(f"no stack {name!r} in the state DB", hint="Check the name, or run its sync first.")
    config = _config(record.config)
    return StackTarget(
        stack=name,
        server=str(config.get("server", "")),
        project=str(config.get("project_name") or name).lower(),
        commit=record.commit,
    )


def sync_source(store: StateStore, name: str, *, local: Sequence[SyncSource] = ()) -> SyncSource:
    """The resource sync ``name`` and its repository: one of ``local`` (the syncs this process
    serves, e.g. ``fleetflow serve``'s own), else the applied one; :class:`NotFound` when absent.
    """
    for own in local:
        if own.name == name:
            return own
    record = store.get_resource("resource_sync", name)
    if record is None:
        raise NotFound(f"no resource sync {name!r} in the state DB", hint="Check the name.")
    config = ResourceSyncConfig.model_validate(_config(record.config))
    repo, branch, provider, https = config.repo, config.branch, config.git_provider, config.git_https
    if config.linked_repo:
        linked = store.get_resource("repo", config.linked_repo)
        if linked is None:
            raise NotFound(
                f"resource sync {name!r} links repo {config.linked_repo!r}, which is not in the state DB",
                hint="Add the [[repo]] entry, or set repo in the sync's config.",
            )
        repo_config = _config(linked.config)
        repo, branch = str(repo_config.get("repo", "")), str(repo_config.get("branch") or "main")
        provider = str(repo_config.get("git_provider") or "github.com")
        https = bool(repo_config.get("git_https", True))
    if not repo:
        raise ConfigError(f"resource sync {name!r} names no repository", hint="Set linked_repo or repo.")
    try:  # `owner/name` at git_provider, as Komodo clones it; a URL or an existing local path as it is
        url = repo if Path(repo).exists() else clone_url(repo, provider, https)
    except ValueError as exc:
        raise ConfigError(
            f"resource sync {name!r}: {exc}", hint="Set repo to owner/name (with git_provider) or a URL."
        ) from exc
    return SyncSource(
        name=name,
        repo=url,
        branch=branch,
        resource_paths=list(config.resource_path),
        delete=config.deletes,
        match_tags=list(config.match_tags),
    )


def source_for_stack(
    store: StateStore, stack: str, sync: str | None = None, *, local: Sequence[SyncSource] = ()
) -> SyncSource:
    """The sync whose repository holds ``stack``: ``sync`` if given, the only local one (``serve``
    reads one repository), the only applied one, or the one that ran it.
    """
    if sync:
        return sync_source(store, sync, local=local)
    if len(local) == 1:
        return local[0]
    names = [r.name for r in store.list_resources("resource_sync")]
    if len(names) == 1:
        return sync_source(store, names[0])
    for name in names:
        runs = store.sync_runs(name, limit=1)
        if runs and (stack in runs[0].stacks or any(row.get("name") == stack for row in runs[0].plan)):
            return sync_source(store, name)
    raise ConfigError(
        f"cannot tell which of {len(names)} resource sync(s) holds stack {stack!r}",
        hint="Pass ?sync=<name> with the request.",
    )


Planner = Callable[[SyncSource, bool], dict[str, Any]]


def secret_chain(settings: Settings) -> SecretResolver:
    """Secrets from the environment, the secrets file, then Prefect Secret blocks."""
    chain: list[SecretResolver] = [EnvSecrets()]
    if settings.secrets_file is not None:
        chain.append(FileSecrets(settings.secrets_file))
    chain.append(PrefectSecrets())
    return ChainSecrets(*chain)


def store_planner(store: StateStore, settings: Settings, cache: RepoCache | None = None) -> Planner:
    """A dry-run planner over ``store`` (blocking: git fetch and file reads)."""
    repos = cache or RepoCache(settings.resolved_repo_cache)

    def run(source: SyncSource, force: bool) -> dict[str, Any]:
        snapshot = open_snapshot(source.repo, cache=repos, branch=source.branch)
        loaded = validate(load_resources(snapshot.source, source.resource_paths or [""]))
        loaded.raise_for_errors()
        desired = interpolate(loaded, secret_chain(settings))
        current = read_current(store)
        candidates = stacks_to_consider(desired, snapshot, store, current, None, force=force)
        result = plan(
            desired,
            as_state(current),
            delete=source.delete,
            match_tags=source.match_tags,
            deploy=sorted(candidates),
        )
        return {
            "commit": snapshot.commit,
            "summary": summary(result),
            "plan": render_rows(result),
            "rounds": [list(r) for r in result.rounds],
        }

    return run
