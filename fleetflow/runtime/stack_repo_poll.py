"""Has any other repository that applied stacks take their files from moved? One fetch per (URL, branch).

The synced branch not moving must not hide a new commit in a stack's own
repository. The applied stacks (state DB) name their sources; each distinct
(URL, branch) that follows a branch is fetched once and its head compared with
its cursor (``stack-repo <url>`` / branch). Pinned commits never move and are
not fetched. The cursors advance after the sync that consumed them succeeded.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from fleetflow.errors import FleetflowError
from fleetflow.git import RepoCache, redact_url
from fleetflow.git.urls import rewrite_url
from fleetflow.resources import RepoConfig, SecretResolver, StackConfig
from fleetflow.resources.stack_source import GitSource, source_of
from fleetflow.runtime.stack_repos import credentials_for
from fleetflow.store import ResourceRecord, StateStore

log = logging.getLogger(__name__)


def cursor_name(source_key: str) -> tuple[str, str]:
    """(repo, branch) of the cursor of a stack repository (``url#branch``), apart from sync cursors."""
    url, _, branch = source_key.rpartition("#")
    return f"stack-repo {redact_url(url)}", branch


def _config(record: ResourceRecord) -> dict[str, Any]:
    inner = record.config.get("config", {})
    return dict(inner) if isinstance(inner, dict) else {}


def applied_sources(
    stacks: Iterable[ResourceRecord], repos: Iterable[ResourceRecord], syncs: Iterable[ResourceRecord]
) -> dict[str, GitSource]:
    """``{url#branch: source}`` of the applied stacks' other repositories that follow a branch."""
    repo_configs = {r.name: RepoConfig.model_validate(_config(r)) for r in repos}
    synced = {str(_config(s).get("linked_repo") or "") for s in syncs} - {""}
    out: dict[str, GitSource] = {}
    for record in stacks:
        try:
            cfg = StackConfig.model_validate(_config(record))
        except ValueError:
            continue
        found = source_of(cfg, repo_configs, synced)
        if found is not None and found.url and not found.commit:
            out.setdefault(found.key, found)
    return out


def moved_stack_repos(
    store: StateStore,
    cache: RepoCache,
    secrets: SecretResolver | None,
    rewrites: Mapping[str, str],
) -> tuple[dict[str, str], list[str]]:
    """(``{url#branch: head}`` of every applied stack repository, the keys whose head left its cursor).

    A repository that cannot be fetched is logged and left out (the sync that needs it says why).
    """
    sources = applied_sources(
        store.list_resources("stack"), store.list_resources("repo"), store.list_resources("resource_sync")
    )
    heads: dict[str, str] = {}
    moved: list[str] = []
    for key, source in sorted(sources.items()):
        try:
            creds = credentials_for(source, secrets)
            head = cache.ensure(rewrite_url(source.url, rewrites), source.branch, creds).head()
        except (FleetflowError, KeyError) as exc:
            log.warning("stack repository %s cannot be polled: %s", redact_url(source.url), exc)
            continue
        heads[key] = head
        cursor = store.get_repo_cursor(*cursor_name(key))
        if cursor is None or cursor.commit != head:
            moved.append(key)
    return heads, moved


def advance_cursors(store: StateStore, heads: Mapping[str, str]) -> None:
    """Record ``heads`` as seen (after the sync that used them succeeded)."""
    for key, commit in heads.items():
        repo, branch = cursor_name(key)
        store.set_repo_cursor(repo, branch, commit)
