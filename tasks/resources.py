"""Tasks that read the repository: snapshot, load + validate + interpolate, plan."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fleetflow.resources import (
    Desired,
    Plan,
    interpolate,
    load_resources,
    plan,
    validate,
)
from fleetflow.runtime import context
from fleetflow.runtime.secrets import secret_resolver
from fleetflow.runtime.snapshot import RepoSnapshot, open_snapshot
from fleetflow.runtime.stack_repos import open_stack_repos
from tasks.policy import DEFAULT, NEVER, fleet_task


def _retry_git(task: object, run: object, state: object) -> bool:
    """Retry fetch failures (network, lock contention); a missing commit will not appear by retrying.

    Decided from the failed state's message, which names the exception type.
    """
    message = str(getattr(state, "message", "") or "")
    return "GitError" in message and "does not exist" not in message


@fleet_task("open-repo", DEFAULT, retry_condition_fn=_retry_git)
def open_repo(repo: str, branch: str = "main", commit: str | None = None) -> RepoSnapshot:
    """Fetch ``repo`` and open it at ``commit`` (default: the branch head)."""
    return open_snapshot(repo, cache=context.repo_cache(), branch=branch, commit=commit)


def resolve_desired(snapshot: RepoSnapshot, resource_paths: Sequence[str]) -> Desired:
    """Load, validate and interpolate; raise ``ResourceErrors`` listing every problem at once
    (reference and variable errors together), with the warnings found beside them."""
    secrets = secret_resolver()
    loaded = validate(load_resources(snapshot.source, list(resource_paths) or [""]), secrets=secrets)
    loaded.raise_for_errors()
    return interpolate(loaded, secrets)


load_desired = fleet_task("load-resources", NEVER)(resolve_desired)


@fleet_task("open-stack-repos", NEVER)
def open_sources(
    desired: Desired,
    snapshot: RepoSnapshot,
    *,
    only: Sequence[str] | None = None,
    heads: Mapping[str, str] | None = None,
) -> RepoSnapshot:
    """Fetch the other repositories stacks take their files from, once each (see runtime.stack_repos)."""
    return open_stack_repos(
        desired,
        snapshot,
        context.repo_cache(),
        secret_resolver(),
        only=only,
        heads=heads,
        rewrites=context.settings().git_url_rewrite,
    )


@fleet_task("plan", NEVER)
def make_plan(
    desired: Desired,
    current: dict[str, dict[str, dict[str, object]]],
    *,
    delete: bool,
    match_tags: Sequence[str] = (),
    deploy: Sequence[str] | None = None,
) -> Plan:
    """The resource plan and the deploy rounds of the stacks to consider."""
    return plan(desired, current, delete=delete, match_tags=match_tags, deploy=deploy)


__all__ = ["load_desired", "make_plan", "open_repo", "open_sources", "resolve_desired"]
