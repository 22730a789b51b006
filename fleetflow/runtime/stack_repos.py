"""Stacks whose files live in another git repository: fetch each repository once, open each stack's commit.

The one place that maps a stack to the snapshot its files come from: a sync or
a deploy loads the synced repository, then :func:`open_stack_repos` fetches
every distinct (URL, branch) that stacks name (``repo`` or ``linked_repo``)
into the repository cache once, opens each stack at its pinned commit or the
branch head, checks its files there as load checks the synced repository's,
and returns the synced snapshot with ``stacks`` filled in
(``snapshot.for_stack(name)``). Every problem (unreachable repository, missing
token, unknown commit, missing compose file, a path leaving the repository) is
a resource error naming file:line [field]; nothing is applied when one is found.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from fleetflow.errors import FleetflowError, GitError, ResourceError, ResourceErrors
from fleetflow.git import CachedRepo, GitCredentials, RepoCache, redact_url
from fleetflow.git.credentials import mask
from fleetflow.git.urls import account_secret_name, rewrite_url
from fleetflow.resources import Desired, GitTreeSource, Kind, SecretResolver
from fleetflow.resources.loader import sentence
from fleetflow.resources.stack_source import GitSource, source_of, synced_repo_names
from fleetflow.resources.validate import stack_file_problems
from fleetflow.runtime.snapshot import RepoSnapshot, is_worktree, worktree_snapshot

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Fetched:
    """One distinct repository of a sync, fetched (or read from the cache) once."""

    source: GitSource
    cached: CachedRepo | None
    worktree: RepoSnapshot | None = None


def sources_of(desired: Desired, only: Collection[str] | None = None) -> dict[str, GitSource]:
    """``{stack: source}`` of the (interpolated) stacks that take their files from another repository."""
    res = desired.resources
    synced = synced_repo_names(res)
    repos = {name: entry.config for name, entry in res.repos.items()}
    out: dict[str, GitSource] = {}
    for name, stack in desired.stacks.items():
        if stack.template or (only is not None and name not in only):
            continue
        found = source_of(stack.config, repos, synced)
        if found is not None and not found.problem:
            out[name] = found
    return out


def credentials_for(source: GitSource, secrets: SecretResolver | None) -> GitCredentials | None:
    """The token of ``git_account`` at ``git_provider``, from outside git (``None`` without an account).

    ``KeyError`` with the secret's name when it is not set.
    """
    if not source.account:
        return None
    name = account_secret_name(source.provider, source.account)
    token = secrets.get(name) if secrets is not None else None
    if not token:
        raise KeyError(name)
    from pydantic import SecretStr

    return GitCredentials(token=SecretStr(token), username=source.account)


class _Opener:
    def __init__(
        self,
        desired: Desired,
        cache: RepoCache,
        secrets: SecretResolver | None,
        heads: Mapping[str, str],
        rewrites: Mapping[str, str],
    ) -> None:
        self.desired, self.cache, self.secrets = desired, cache, secrets
        self.heads, self.rewrites = heads, rewrites
        self.errors: list[ResourceError] = []

    def error(self, stack: str, source: GitSource, message: str, hint: str, field: str = "") -> None:
        res = self.desired.resources
        if source.linked and not field:
            where = res.where(Kind.REPO, source.linked, "config.repo")
        else:
            where = res.where(Kind.STACK, stack, field or source.field)
        self.errors.append(ResourceError(sentence(message), where, hint=sentence(hint)))

    def fetch(
        self, source: GitSource, users: list[str], pins: set[str], follows_head: bool
    ) -> Fetched | None:
        """Fetch ``source`` once (not at all when every commit it needs is already in the cache)."""
        url = rewrite_url(source.url, self.rewrites)
        used_by = f"used by stack(s) {', '.join(users)}"
        if is_worktree(url):
            try:
                return Fetched(source, None, worktree_snapshot(Path(url).resolve()))
            except FleetflowError as exc:
                self.error(users[0], source, f"repository {source.url} cannot be read ({used_by}): {exc}", "")
                return None
        try:
            creds = credentials_for(source, self.secrets)
        except KeyError as exc:
            self.error(
                users[0],
                source,
                f"no token for git account {source.account!r} at {source.provider} ({used_by}): "
                f"secret {exc.args[0]} is not set",
                f"set FLEETFLOW_SECRET_{exc.args[0]}, or {exc.args[0]} in the secrets file or as a Prefect "
                "Secret block",
                field="" if source.linked else "config.git_account",
            )
            return None
        seen = self.heads.get(source.key)
        wanted = pins | ({seen} if seen else set())
        if not follows_head or seen:
            found = self.cache.cached(url, source.branch)
            if found is not None and all(found.has_commit(c) for c in wanted):
                return Fetched(source, found)
        try:
            return Fetched(source, self.cache.ensure(url, source.branch, creds))
        except (GitError, FleetflowError) as exc:
            detail = mask(str(exc), creds)
            self.error(
                users[0],
                source,
                f"repository {redact_url(source.url)} (branch {source.branch!r}, {used_by}) cannot be "
                f"fetched: {detail}",
                "check repo, git_provider, branch and the git account's token; nothing was applied",
            )
            return None

    def at_commit(self, stack: str, source: GitSource, fetched: Fetched) -> RepoSnapshot | None:
        if fetched.worktree is not None:
            if source.commit:
                self.error(
                    stack,
                    source,
                    f"commit {source.commit} is pinned, but {source.url} is a folder without history",
                    "point repo at a git repository or remove commit",
                )
                return None
            return replace(fetched.worktree, repo=source.url)
        cached = fetched.cached
        assert cached is not None
        commit = source.commit or self.heads.get(source.key) or cached.head()
        if not cached.has_commit(commit):
            field = "" if source.linked else "config.commit"
            self.error(
                stack,
                source,
                f"commit {commit} is not on branch {source.branch!r} of {redact_url(source.url)}",
                "pin a commit of that branch (Komodo clones the branch, then resets to the commit)",
                field=field if source.commit else "",
            )
            return None
        tree = GitTreeSource(cached.repo, commit)
        return RepoSnapshot(repo=source.url, commit=tree.hexsha, source=tree, cached=cached)

    def check_files(self, stack: str, source: GitSource, snapshot: RepoSnapshot) -> None:
        cfg = self.desired.stacks[stack].config
        where = f"repository {redact_url(source.url)} at {snapshot.short}"
        for field, message, hint in stack_file_problems(stack, cfg, snapshot.source, where):
            self.errors.append(
                ResourceError(
                    sentence(message),
                    self.desired.resources.where(Kind.STACK, stack, field),
                    hint=sentence(hint),
                )
            )


def open_stack_repos(
    desired: Desired,
    snapshot: RepoSnapshot,
    cache: RepoCache,
    secrets: SecretResolver | None,
    *,
    only: Collection[str] | None = None,
    heads: Mapping[str, str] | None = None,
    rewrites: Mapping[str, str] | None = None,
) -> RepoSnapshot:
    """``snapshot`` with the snapshot of every stack (among ``only``) that reads another repository.

    ``heads``: ``{source key: commit}`` already seen by the poll (then read from the cache, no fetch);
    other branches are fetched once each. Raises :class:`ResourceErrors` listing every problem.
    """
    opened = stack_snapshots(desired, cache, secrets, only=only, heads=heads, rewrites=rewrites)
    return replace(snapshot, stacks={**snapshot.stacks, **opened}) if opened else snapshot


def stack_snapshots(
    desired: Desired,
    cache: RepoCache,
    secrets: SecretResolver | None,
    *,
    only: Collection[str] | None = None,
    heads: Mapping[str, str] | None = None,
    rewrites: Mapping[str, str] | None = None,
) -> dict[str, RepoSnapshot]:
    """``{stack: snapshot of its own repository}`` (see :func:`open_stack_repos`)."""
    sources = sources_of(desired, only)
    if not sources:
        return {}
    opener = _Opener(desired, cache, secrets, heads or {}, rewrites or {})
    by_key: dict[str, list[str]] = {}
    for name, source in sorted(sources.items()):
        by_key.setdefault(source.key, []).append(name)
    opened: dict[str, RepoSnapshot] = {}
    for users in by_key.values():
        first = sources[users[0]]
        pins = {sources[n].commit for n in users if sources[n].commit}
        follows_head = any(not sources[n].commit for n in users)
        fetched = opener.fetch(first, users, pins, follows_head)
        if fetched is None:
            continue
        for name in users:
            stack_snapshot = opener.at_commit(name, sources[name], fetched)
            if stack_snapshot is not None:
                opener.check_files(name, sources[name], stack_snapshot)
                opened[name] = stack_snapshot
    if opener.errors:
        raise ResourceErrors(opener.errors)
    for name, opened_snapshot in opened.items():
        log.info("stack %s: files from %s at %s", name, redact_url(sources[name].url), opened_snapshot.short)
    return opened


def source_heads(snapshot: RepoSnapshot, desired: Desired) -> dict[str, str]:
    """``{url#branch: commit}`` of the other repositories ``snapshot`` opened at a branch head."""
    sources = sources_of(desired, list(snapshot.stacks))
    return {
        sources[name].key: snap.commit
        for name, snap in snapshot.stacks.items()
        if name in sources and not sources[name].commit
    }
