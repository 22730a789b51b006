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
from typing import Any

from fleetflow.errors import ResourceError
from fleetflow.resources.entries import Kind, Resources, Stack
from fleetflow.resources.interpolate import REF, missing_uses
from fleetflow.resources.komodo import CONFIG_RULES, Treatment
from fleetflow.resources.loader import LoadResult, Notice, did_you_mean, sentence
from fleetflow.resources.order import find_cycles
from fleetflow.resources.secrets import SecretResolver
from fleetflow.resources.sources import FileSource, normalize
from fleetflow.resources.stack import StackConfig
from fleetflow.resources.stack_source import stack_sources
from fleetflow.resources.undefined import undefined_errors

_COMMIT = re.compile(r"^[0-9a-fA-F]{7,64}$")
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


class _Memo:
    """A file source whose path questions are answered once each (stacks share folders)."""

    def __init__(self, source: FileSource) -> None:
        self._source = source
        self._answers: dict[tuple[str, str], Any] = {}

    def _ask(self, question: str, path: str) -> Any:
        key = (question, path)
        if key not in self._answers:
            self._answers[key] = getattr(self._source, question)(path)
        return self._answers[key]

    def read_text(self, path: str) -> str:
        return self._source.read_text(path)

    def exists(self, path: str) -> bool:
        return bool(self._ask("exists", path))

    def is_dir(self, path: str) -> bool:
        return bool(self._ask("is_dir", path))

    def list_files(self, path: str = "") -> list[str]:
        return list(self._ask("list_files", path))

    def resolve(self, path: str) -> str | None:
        answer = self._ask("resolve", path)
        return answer if isinstance(answer, str) else None


class _Checks:
    def __init__(self, loaded: LoadResult, repo_name: str | None, secrets: SecretResolver | None) -> None:
        self.res: Resources = loaded.resources
        self.source: FileSource = _Memo(loaded.source)
        self.secrets = secrets
        self.errors: list[ResourceError] = []
        self.warnings: list[Notice] = []
        self.broken = loaded.broken
        self.unmanaged = loaded.unmanaged
        self.unparsed = loaded.unparsed
        self.missing_servers: dict[str, list[str]] = {}
        self.known_repos = set(self.res.repos) | {name for kind, name in loaded.broken if kind is Kind.REPO}
        self.known_repos.update(s.config.linked_repo for s in self.res.syncs.values() if s.config.linked_repo)
        if repo_name:
            self.known_repos.add(repo_name)
        self.sources = stack_sources(self.res, repo_name)

    def error(self, kind: Kind, name: str, field: str | None, message: str, hint: str = "") -> None:
        where = self.res.where(kind, name, field)
        self.errors.append(ResourceError(sentence(message), where, hint=sentence(hint)))

    def warn(self, kind: Kind, name: str, field: str | None, message: str, hint: str = "") -> None:
        self.warnings.append(Notice(sentence(message), self.res.where(kind, name, field), sentence(hint)))

    def run(self) -> None:
        self.field_rules()
        self.stacks()
        self.server_errors()
        if self.secrets is not None:
            self.errors.extend(undefined_errors(missing_uses(self.res, self.secrets), self.res))

    def stacks(self) -> None:
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
            if not stack.config.uses_repo_files and stack.config.repo.strip():
                kept = "files_on_host" if stack.config.files_on_host else "file_contents"
                self.warn(
                    Kind.STACK,
                    name,
                    "config.repo",
                    f"stack {name!r} sets repo and {kept}: its files come from {kept}, as in Komodo, "
                    "and the repository is not used",
                    f"remove repo or {kept}",
                )
            if name in self.sources:
                self.source_fields(name, stack)
            elif stack.config.files_on_host:
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
        return stack.config.uses_repo_files

    def source_fields(self, name: str, stack: Stack) -> None:
        """A stack from another repository: a URL can be built and a pinned commit is a hash; its files
        are checked when the repository is fetched (fleetflow.runtime.stack_repos)."""
        source = self.sources[name]
        entry = f"[[repo]] {source.linked!r}" if source.linked else f"stack {name!r}"
        if source.problem:
            self.error(
                Kind.STACK,
                name,
                source.field,
                f"{entry} names no usable repository: {source.problem}",
                "set repo to owner/name (with git_provider), a full URL or a local path",
            )
        if source.commit and not _COMMIT.match(source.commit):
            field = source.field if source.linked else "config.commit"
            self.error(
                Kind.STACK,
                name,
                field,
                f"commit {source.commit!r} of {entry} is not a commit hash",
                "pin a commit by its hash (7 to 40 hex digits), or leave commit empty to follow the branch",
            )

    def stack_refs(self, name: str, stack: Stack) -> None:
        cfg = stack.config
        if cfg.swarm or cfg.swarm_id:
            pass  # refused by field_rules; no knock-on "has no server"
        elif not cfg.server:
            self.error(
                Kind.STACK,
                name,
                "config.server",
                f"stack {name!r} has no server",
                "set config.server to a [[server]] name",
            )
        elif cfg.server not in self.res.servers and (Kind.SERVER, cfg.server) not in self.broken:
            self.missing_servers.setdefault(cfg.server, []).append(name)
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
            if dep in self.res.stacks or (Kind.STACK, dep) in self.broken:
                continue
            if dep in self.unmanaged:
                self.warn(
                    Kind.STACK,
                    name,
                    "after",
                    f"{self.unmanaged[dep]} {dep!r} is not managed by fleetflow; ordering ignored",
                )
                continue
            close = did_you_mean(dep, list(self.res.stacks))
            self.error(
                Kind.STACK,
                name,
                "after",
                f"stack {name!r} is to deploy after {dep!r}, which is not a stack",
                close or "fix the name or remove it from `after`",
            )

    def server_errors(self) -> None:
        """One error per undefined server, however many stacks use it."""
        unknown = ""
        if self.unparsed:
            unknown = f" ({', '.join(self.unparsed)} did not parse, so its servers are unknown)"
        for server, users in self.missing_servers.items():
            places = sorted(
                ((self.res.where(Kind.STACK, n, "config.server"), n) for n in users),
                key=lambda p: (p[0].file, p[0].line or 0),
            )
            where, first = places[0]
            if len(users) == 1:
                message = f"stack {first!r} names server {server!r}, which is not defined{unknown}"
            else:
                message = (
                    f"server {server!r} is not defined — used by {len(users)} stacks "
                    f"(first: {where.file}:{where.line}){unknown}"
                )
            hint = did_you_mean(server, list(self.res.servers)) or "add a [[server]] entry"
            self.errors.append(ResourceError(sentence(message), where, hint=sentence(hint)))

    def field_rules(self) -> None:
        """Komodo fields fleetflow refuses (an error per entry) or ignores (one warning per field)."""
        ignored: dict[tuple[Kind, str], list[str]] = {}
        for kind in (Kind.SERVER, Kind.REPO, Kind.STACK, Kind.RESOURCE_SYNC):
            rules = CONFIG_RULES[kind.value]
            watched = {f: r for f, r in rules.items() if r.treatment is not Treatment.HONORED}
            for name, entry in self.res.of(kind).items():
                cfg = getattr(entry, "config", None)
                if cfg is None:
                    continue
                for field in watched.keys() & cfg.model_fields_set:
                    default = type(cfg).model_fields[field].get_default(call_default_factory=True)
                    if getattr(cfg, field) == default:
                        continue
                    rule = watched[field]
                    if rule.treatment is Treatment.REFUSED:
                        self.error(
                            kind,
                            name,
                            f"config.{field}",
                            f"{kind.value} {name!r} sets config.{field}: {rule.why}",
                            "deploy it with Komodo, or remove the field",
                        )
                    else:
                        ignored.setdefault((kind, field), []).append(name)
        for (kind, field), names in sorted(ignored.items()):
            where = min(
                (self.res.where(kind, n, f"config.{field}") for n in names),
                key=lambda w: (w.file, w.line or 0),
            )
            count = f"{len(names)} {kind.value} entries" if len(names) > 1 else f"{kind.value} {names[0]!r}"
            rule = CONFIG_RULES[kind.value][field]
            self.warnings.append(
                Notice(sentence(f"config.{field} is set on {count} and ignored: {rule.why}"), where)
            )

    def stack_files(self, name: str, stack: Stack) -> None:
        for field, message, hint in stack_file_problems(name, stack.config, self.source):
            self.error(Kind.STACK, name, field, message, hint)

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
    errors = sorted([*loaded.errors, *checks.errors], key=lambda e: (e.location.file, e.location.line or 0))
    warnings = [*loaded.warnings, *checks.warnings]
    if errors and loaded.unknown_fields:
        # a typo'd field is the likely cause of what follows: say so first
        likely = [
            ResourceError(f"{n.message} It may cause the errors below.", n.location, hint=n.hint)
            for n in loaded.unknown_fields
        ]
        errors = [*likely, *errors]
        warnings = [w for w in warnings if w not in loaded.unknown_fields]
    return replace(loaded, errors=errors, warnings=warnings)


Problem = tuple[str, str, str]
"""(field, message, hint) of one finding about a stack's entry."""


def stack_file_problems(
    name: str, cfg: StackConfig, source: FileSource, where: str = "the repository"
) -> list[Problem]:
    """Run directory and compose files of stack ``name`` in ``source`` (``where`` names it in messages):
    inside the repository (after symlinks), present, and files where files are expected."""
    run_dir = normalize(cfg.run_directory)
    real = source.resolve(cfg.run_directory) if run_dir is not None else None
    if run_dir is None or real is None:
        return [
            (
                "config.run_directory",
                f"run_directory {cfg.run_directory!r} of stack {name!r} leaves {where}",
                "use a path relative to the repository root, without `..` or symlinks out",
            )
        ]
    if run_dir and not source.is_dir(real):
        return [
            (
                "config.run_directory",
                f"run_directory {cfg.run_directory!r} of stack {name!r} does not exist in {where}",
                "commit the folder or fix the path",
            )
        ]
    field = "config.file_paths" if cfg.file_paths else "config.run_directory"
    found, out = [], []
    for candidate in cfg.compose_candidates:
        path = normalize(posixpath.join(run_dir, candidate))
        resolved = source.resolve(path) if path is not None else None
        if path is None or resolved is None:
            return [
                (
                    field,
                    f"compose file {candidate!r} of stack {name!r} leaves {where}",
                    "keep compose files inside the repository",
                )
            ]
        if source.exists(resolved) and not source.is_dir(resolved):
            found.append(candidate)
        elif cfg.file_paths:
            out.append(
                (
                    field,
                    f"compose file {posixpath.join(run_dir, candidate)!r} of stack {name!r} does not exist"
                    + ("" if where == "the repository" else f" in {where}"),
                    "commit it or fix file_paths",
                )
            )
    if not found and not cfg.file_paths:
        out.append(
            (
                field,
                f"stack {name!r} has no compose file in {run_dir or 'the repository root'!r}"
                + ("" if where == "the repository" else f" of {where}"),
                "add compose.yaml or set file_paths",
            )
        )
    return out
