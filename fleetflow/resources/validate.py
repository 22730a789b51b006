"""Checks across entries and files: references, deploy order, run directories, committed secrets.

``validate`` returns a new ``LoadResult`` with the load problems plus its own,
each located at the entry (and key) it is about.
"""

from __future__ import annotations

import math
import posixpath
import re
from collections import Counter
from dataclasses import replace

from fleetflow.errors import ResourceError
from fleetflow.resources.entries import Kind, Resources, Stack
from fleetflow.resources.interpolate import REF, references
from fleetflow.resources.loader import LoadResult, Notice, did_you_mean, sentence
from fleetflow.resources.order import find_cycles
from fleetflow.resources.refusals import refused_stack_fields
from fleetflow.resources.secrets import SecretResolver
from fleetflow.resources.sources import FileSource, normalize

_SECRET_KEY = re.compile(r"(SECRET|TOKEN|PASSWORD|PASSWD|API_KEY|PRIVATE_KEY)$", re.IGNORECASE)


def entropy_bits(text: str) -> float:
    """Shannon entropy of ``text`` in bits per character."""
    if not text:
        return 0.0
    counts = Counter(text)
    return -sum(c / len(text) * math.log2(c / len(text)) for c in counts.values())


def looks_like_secret(key: str, value: str) -> bool:
    """A long, random-looking literal under a ``*_SECRET``/``*_TOKEN``/``*_PASSWORD`` key."""
    return (
        bool(_SECRET_KEY.search(key))
        and not REF.search(value)
        and len(value) >= 12
        and (entropy_bits(value) >= 3.0)
    )


class _Checks:
    def __init__(self, loaded: LoadResult, repo_name: str | None, secrets: SecretResolver | None) -> None:
        self.res: Resources = loaded.resources
        self.source: FileSource = loaded.source
        self.secrets = secrets
        self.errors: list[ResourceError] = []
        self.warnings: list[Notice] = []
        self.broken = loaded.broken
        self.known_repos = set(self.res.repos) | {name for kind, name in loaded.broken if kind is Kind.REPO}
        self.known_repos.update(s.config.linked_repo for s in self.res.syncs.values() if s.config.linked_repo)
        self.sync_repos = self.known_repos - set(self.res.repos)
        if repo_name:
            self.known_repos.add(repo_name)
            self.sync_repos.add(repo_name)

    def error(self, kind: Kind, name: str, field: str | None, message: str, hint: str = "") -> None:
        where = self.res.where(kind, name, field)
        self.errors.append(ResourceError(sentence(message), where, hint=sentence(hint)))

    def warn(self, kind: Kind, name: str, field: str | None, message: str, hint: str = "") -> None:
        self.warnings.append(Notice(sentence(message), self.res.where(kind, name, field), sentence(hint)))

    def run(self) -> None:
        projects: dict[tuple[str, str], str] = {}
        for name, stack in self.res.stacks.items():
            self.stack_refs(name, stack)
            if stack.template:
                continue
            key = (stack.config.server, stack.project)
            if key in projects:
                self.error(
                    Kind.STACK,
                    name,
                    "config.project_name",
                    f"stack {name!r} uses compose project {stack.project!r} on server "
                    f"{stack.config.server!r}, as does stack {projects[key]!r}",
                    "set a distinct project_name",
                )
            projects.setdefault(key, name)
            synced = self.sync_repos | {s.config.linked_repo for s in self.res.syncs.values()}
            for refusal in refused_stack_fields(name, stack.config, synced, self.known_repos):
                self.error(Kind.STACK, name, refusal.field, refusal.message, refusal.hint)
            if stack.config.files_on_host:
                self.host_files(name, stack)
            elif self.reads_repo(stack):
                self.stack_files(name, stack)
            self.stack_secrets(name, stack)
        for name, sync in self.res.syncs.items():
            repo = sync.config.linked_repo
            if repo and repo not in self.known_repos:
                self.error(
                    Kind.RESOURCE_SYNC,
                    name,
                    "config.linked_repo",
                    f"resource_sync {name!r} links repo {repo!r}, which is not defined",
                    "add a [[repo]] entry with that name",
                )
        for cycle in find_cycles({n: s.after for n, s in self.res.stacks.items()}):
            self.error(
                Kind.STACK,
                cycle[0],
                "after",
                f"`after` forms a cycle: {' -> '.join(cycle)}",
                "remove one of these dependencies",
            )

    def reads_repo(self, stack: Stack) -> bool:
        cfg = stack.config
        linked = not cfg.linked_repo or cfg.linked_repo in self.sync_repos
        return cfg.uses_repo_files and not cfg.repo and linked

    def stack_refs(self, name: str, stack: Stack) -> None:
        cfg = stack.config
        if not cfg.server:
            self.error(
                Kind.STACK,
                name,
                "config.server",
                f"stack {name!r} has no server",
                "set config.server to a [[server]] name",
            )
        elif cfg.server not in self.res.servers and (Kind.SERVER, cfg.server) not in self.broken:
            self.error(
                Kind.STACK,
                name,
                "config.server",
                f"stack {name!r} names server {cfg.server!r}, which is not defined",
                did_you_mean(cfg.server, list(self.res.servers)) or "add a [[server]] entry",
            )
        if cfg.linked_repo and cfg.linked_repo not in self.known_repos:
            self.error(
                Kind.STACK,
                name,
                "config.linked_repo",
                f"stack {name!r} links repo {cfg.linked_repo!r}, which is neither a [[repo]] "
                "nor the repository being synced",
                "add a [[repo]] entry or fix the name",
            )
        for dep in stack.after:
            if dep not in self.res.stacks and (Kind.STACK, dep) not in self.broken:
                self.error(
                    Kind.STACK,
                    name,
                    "after",
                    f"stack {name!r} is to deploy after {dep!r}, which is not a stack",
                    "fix the name or remove it from `after`",
                )
        if self.secrets is not None:
            for ref, paths in references(stack).items():
                if ref not in self.res.variables and self.secrets.get(ref) is None:
                    self.error(
                        Kind.STACK,
                        name,
                        paths[0],
                        f"stack {name!r} uses [[{ref}]] but no variable or secret {ref} exists",
                        f"add a [[variable]] or set the secret {ref} outside git",
                    )

    def stack_files(self, name: str, stack: Stack) -> None:
        cfg = stack.config
        run_dir = normalize(cfg.run_directory)
        real = self.source.resolve(cfg.run_directory) if run_dir is not None else None
        if run_dir is None or real is None:
            self.error(
                Kind.STACK,
                name,
                "config.run_directory",
                f"run_directory {cfg.run_directory!r} of stack {name!r} leaves the repository",
                "use a path relative to the repository root, without `..` or symlinks out",
            )
            return
        if run_dir and not self.source.is_dir(real):
            self.error(
                Kind.STACK,
                name,
                "config.run_directory",
                f"run_directory {cfg.run_directory!r} of stack {name!r} does not exist in the repository",
                "commit the folder or fix the path",
            )
            return
        field = "config.file_paths" if cfg.file_paths else "config.run_directory"
        found = []
        for candidate in cfg.compose_candidates:
            path = normalize(posixpath.join(run_dir, candidate))
            resolved = self.source.resolve(path) if path is not None else None
            if path is None or resolved is None:
                self.error(
                    Kind.STACK,
                    name,
                    field,
                    f"compose file {candidate!r} of stack {name!r} leaves the repository",
                    "keep compose files inside the repository",
                )
                return
            if self.source.exists(resolved) and not self.source.is_dir(resolved):
                found.append(candidate)
            elif cfg.file_paths:
                self.error(
                    Kind.STACK,
                    name,
                    field,
                    f"compose file {posixpath.join(run_dir, candidate)!r} of stack {name!r} does not exist",
                    "commit it or fix file_paths",
                )
        if not found and not cfg.file_paths:
            self.error(
                Kind.STACK,
                name,
                field,
                f"stack {name!r} has no compose file in {run_dir or 'the repository root'!r}",
                "add compose.yaml or set file_paths",
            )

    def host_files(self, name: str, stack: Stack) -> None:
        """files_on_host: the path's shape is checked here; the files on the host at each deploy."""
        run_dir = stack.config.run_directory.strip()
        if not run_dir or ".." in run_dir.split("/") or posixpath.normpath(run_dir) == "/":
            self.error(
                Kind.STACK,
                name,
                "config.run_directory",
                f"stack {name!r} keeps its files on the host, at run_directory {run_dir!r}, "
                "which is empty, / or contains '..'",
                "set an absolute directory other than /, or one relative to the host's stacks root",
            )
            return
        self.warn(
            Kind.STACK,
            name,
            "config.run_directory",
            f"compose files of stack {name!r} are on its host at {run_dir!r}: not checked at load, "
            "since the host is not reached here; each deploy reads and checks them there",
        )

    def stack_secrets(self, name: str, stack: Stack) -> None:
        for key, value in stack.config.environment.items():
            if looks_like_secret(key, value):
                self.warn(
                    Kind.STACK,
                    name,
                    f"config.environment.{key}",
                    f"{key} of stack {name!r} looks like a secret committed to git",
                    f"store it outside git and write {key}=[[{key}]]",
                )


def validate(
    loaded: LoadResult, *, repo_name: str | None = None, secrets: SecretResolver | None = None
) -> LoadResult:
    """All cross-entry checks; ``secrets`` (when given) also checks every ``[[NAME]]`` resolves."""
    checks = _Checks(loaded, repo_name, secrets)
    checks.run()
    return replace(
        loaded, errors=[*loaded.errors, *checks.errors], warnings=[*loaded.warnings, *checks.warnings]
    )
