"""Which git repository a stack's files come from, as Komodo decides it.

Komodo's order: ``files_on_host``, then inline ``file_contents``, then a
``linked_repo`` (the ``[[repo]]``'s repo/branch/commit/git_provider/git_https/
git_account), then the stack's own ``repo`` fields. fleetflow adds one case:
a ``linked_repo`` naming the repository a resource sync reads is the synced
repository itself. :func:`stack_source` returns ``None`` for every stack whose
files are not in another repository.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from fleetflow.git.urls import clone_url
from fleetflow.resources.entries import Resources
from fleetflow.resources.stack import StackConfig
from fleetflow.resources.sync import RepoConfig


@dataclass(frozen=True)
class GitSource:
    """Another repository a stack's files come from."""

    url: str = ""
    """Clone URL as Komodo builds it (before any rewrite); empty when it cannot be built."""
    branch: str = "main"
    commit: str = ""
    """A pinned commit: deployed instead of the branch head."""
    provider: str = "github.com"
    account: str = ""
    field: str = "config.repo"
    """The stack field errors point at (``config.repo`` or ``config.linked_repo``)."""
    linked: str = ""
    """The ``[[repo]]`` entry named by ``linked_repo``, when that is where it comes from."""
    problem: str = ""
    """Why no URL could be built (then ``url`` is empty)."""

    @property
    def key(self) -> str:
        """One per (URL, branch): what a poll fetches once however many stacks use it."""
        return f"{self.url}#{self.branch}"

    @property
    def label(self) -> str:
        """``url@branch`` (and the pin), for logs and outcomes."""
        pin = f" pinned at {self.commit[:12]}" if self.commit else ""
        return f"{self.url}@{self.branch}{pin}"


def synced_repo_names(res: Resources, repo_name: str | None = None) -> set[str]:
    """``[[repo]]`` names that stand for the synced repository: those a resource sync links."""
    names = {s.config.linked_repo for s in res.syncs.values() if s.config.linked_repo}
    if repo_name:
        names.add(repo_name)
    return names


def _source(
    repo: str,
    branch: str,
    commit: str,
    provider: str,
    https: bool,
    account: str,
    field: str,
    linked: str = "",
) -> GitSource:
    common = {
        "branch": branch.strip() or "main",
        "commit": commit.strip(),
        "provider": provider.strip(),
        "account": account.strip(),
        "field": field,
        "linked": linked,
    }
    try:
        return GitSource(url=clone_url(repo, provider, https), **common)
    except ValueError as exc:
        return GitSource(problem=str(exc), **common)


def source_of(cfg: StackConfig, repos: Mapping[str, RepoConfig], synced: Collection[str]) -> GitSource | None:
    """The other repository ``cfg`` takes its files from, or ``None`` (synced repo, host, inline)."""
    if not cfg.uses_repo_files:
        return None
    if cfg.linked_repo:
        if cfg.linked_repo in synced or cfg.linked_repo not in repos:
            return None  # the synced repository (an unknown name is a load error)
        linked = repos[cfg.linked_repo]
        return _source(
            linked.repo,
            linked.branch,
            linked.commit,
            linked.git_provider,
            linked.git_https,
            linked.git_account,
            "config.linked_repo",
            cfg.linked_repo,
        )
    if cfg.repo.strip():
        return _source(
            cfg.repo, cfg.branch, cfg.commit, cfg.git_provider, cfg.git_https, cfg.git_account, "config.repo"
        )
    return None


def stack_sources(res: Resources, repo_name: str | None = None) -> dict[str, GitSource]:
    """``{stack: source}`` of every non-template stack whose files are in another repository."""
    synced = synced_repo_names(res, repo_name)
    repos = {name: entry.config for name, entry in res.repos.items()}
    out: dict[str, GitSource] = {}
    for name, stack in res.stacks.items():
        if stack.template:
            continue
        found = source_of(stack.config, repos, synced)
        if found is not None:
            out[name] = found
    return out
