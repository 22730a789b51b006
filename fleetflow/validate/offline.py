"""The offline validation of a repository: resource files, then each stack's compose files, then
the checks across stacks of one server. No Docker, no Prefect: only the files.

    report = validate_repo(WorkTreeSource(root), ["syncs"], secrets=OfflineSecrets(EnvSecrets()))
    report = validate_desired(desired, snapshot.source)   # inside a sync, resources already loaded
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace

from fleetflow.errors import ResourceErrors
from fleetflow.resources import (
    Desired,
    FileSource,
    Kind,
    LoadResult,
    Resources,
    SecretResolver,
    interpolate,
    load_resources,
    validate,
)
from fleetflow.resources.stack_source import stack_sources
from fleetflow.validate.compose import ParseCache, check_stack
from fleetflow.validate.cross import cross_stack
from fleetflow.validate.facts import StackFacts
from fleetflow.validate.findings import Finding, Report, Severity
from fleetflow.validate.stackinput import stack_input


@dataclass
class OfflineSecrets:
    """Secrets from ``inner``; a placeholder (masked like any secret) for the others, remembered."""

    inner: SecretResolver
    missing: set[str] = field(default_factory=set)

    def get(self, name: str) -> str | None:
        value = self.inner.get(name)
        if value is None:
            self.missing.add(name)
            return f"<secret {name}>"
        return value


def checked_stacks(desired: Desired, opened: Collection[str] = ()) -> list[str]:
    """Stacks whose compose files fleetflow deploys from this repository, or from another repository
    that is open (``opened``); not templates, not files on the host."""
    other = set(stack_sources(desired.resources))
    return sorted(
        name
        for name, stack in desired.stacks.items()
        if not stack.template and not stack.config.files_on_host and (name not in other or name in opened)
    )


def validate_desired(
    desired: Desired,
    source: FileSource,
    *,
    only: Collection[str] | None = None,
    sources: Mapping[str, FileSource] | None = None,
) -> Report:
    """Compose and cross-stack checks of every stack; findings kept for ``only`` (default all).

    ``sources``: the files of stacks that live in another repository (else they are not checked here).
    """
    own = dict(sources or {})
    caches: dict[int, ParseCache] = {}
    report = Report()
    facts: list[StackFacts] = []
    for name in checked_stacks(desired, own):
        stack = desired.stacks[name]
        files = own.get(name, source)
        cache = caches.setdefault(id(files), ParseCache())
        findings, stack_facts = check_stack(stack_input(stack, files), files, cache)
        facts.append(stack_facts)
        report.extend(findings)
    report.extend(cross_stack(facts))
    report.findings = [
        _located(replace(f, message=desired.mask(f.message), hint=desired.mask(f.hint)), desired)
        for f in report.findings
        if only is None or f.stack in only
    ]
    report.facts = {f.stack: f for f in facts if only is None or f.stack in only}
    report.stacks = {
        n: s.config.server
        for n, s in desired.stacks.items()
        if not s.template and (only is None or n in only)
    }
    return report


_TOML_FIELD = {"env_file": "config.additional_env_files", "project_name": "config.project_name"}


def _located(finding: Finding, desired: Desired) -> Finding:
    """A stack finding without a compose file points at the stack's entry in the resource files."""
    if finding.file or finding.stack not in desired.resources.stacks:
        return finding
    where = desired.resources.where(Kind.STACK, finding.stack, _TOML_FIELD.get(finding.check))
    return replace(finding, file=where.file, line=where.line)


def _resource_findings(loaded: LoadResult) -> list[Finding]:
    findings = [
        Finding("resources", Severity.ERROR, e.detail, "", "", e.location.file, e.location.line, e.hint)
        for e in loaded.errors
    ]
    findings += [
        Finding("resources", Severity.WARNING, w.message, "", "", w.location.file, w.location.line, w.hint)
        for w in loaded.warnings
    ]
    return findings


def desired_of(loaded: LoadResult, secrets: SecretResolver) -> Desired:
    """Interpolated resources; stacks that cannot be interpolated are left out (already reported)."""
    try:
        return interpolate(loaded, secrets)
    except ResourceErrors:
        pass
    res = loaded.resources
    parts: list[Desired] = []
    for name, stack in res.stacks.items():
        one = Resources(res.servers, {name: stack}, res.syncs, res.variables, res.repos, res.lines)
        try:
            parts.append(interpolate(one, secrets))
        except ResourceErrors:
            continue
    base = interpolate(Resources(res.servers, {}, res.syncs, res.variables, res.repos, res.lines), secrets)
    stacks = {n: s for p in parts for n, s in p.stacks.items()}
    uses = {n: u for p in parts for n, u in p.uses.items()}
    secret_names = set(base.secret_names).union(*(p.secret_names for p in parts))
    values = {k: v for p in [base, *parts] for k, v in p.values.items()}
    return Desired(res, stacks, uses, frozenset(secret_names), values)


OpenRepos = Callable[[Desired], Mapping[str, FileSource]]
"""Fetches the other repositories stacks take their files from (``ResourceErrors`` when one fails)."""


def validate_repo(
    source: FileSource,
    resource_paths: Sequence[str],
    *,
    secrets: SecretResolver,
    only: Collection[str] | None = None,
    repo_name: str | None = None,
    open_repos: OpenRepos | None = None,
) -> tuple[Report, Desired]:
    """Resource-file checks plus :func:`validate_desired`, for a repository on disk or at a commit.

    With ``open_repos``, stacks from other repositories are checked in them too (else left out).
    """
    loaded = validate(
        load_resources(source, list(resource_paths) or [""]), repo_name=repo_name, secrets=secrets
    )
    desired = desired_of(loaded, secrets)
    sources: Mapping[str, FileSource] = {}
    repo_errors: list[Finding] = []
    if open_repos is not None and not loaded.errors:
        try:
            sources = open_repos(desired)
        except ResourceErrors as exc:
            repo_errors = _resource_findings(replace(loaded, errors=exc.errors, warnings=[]))
    report = validate_desired(desired, source, only=only, sources=sources)
    resource = _resource_findings(loaded) + repo_errors
    if isinstance(secrets, OfflineSecrets):
        resource += [
            Finding(
                "resources",
                Severity.WARNING,
                f"[[{name}]] is neither a variable nor a secret in the environment or the secrets file; "
                "checked with a placeholder",
                hint="A Prefect Secret block may hold it (not read offline); the validate flow reads them.",
            )
            for name in sorted(secrets.missing)
        ]
    report.findings = resource + report.findings
    return report, desired
