"""Tasks of stack validation: the offline checks (in every sync, and in the validate flow) and host checks."""

from __future__ import annotations

from collections.abc import Sequence

from prefect import get_run_logger

from fleetflow.hosts.base import HostConnection
from fleetflow.resources import Desired, FileSource, Server
from fleetflow.runtime import context
from fleetflow.runtime.hosts import connect_server
from fleetflow.runtime.secrets import secret_resolver
from fleetflow.runtime.snapshot import RepoSnapshot
from fleetflow.runtime.stack_repos import stack_snapshots
from fleetflow.validate import Finding, Report, validate_repo
from fleetflow.validate.gate import Gate, gate_stacks
from fleetflow.validate.hostrun import run_host_checks
from tasks.policy import NEVER, fleet_task


@fleet_task("validate-stacks", NEVER)
def check_stacks(desired: Desired, snapshot: RepoSnapshot) -> Gate:
    """Offline checks of every stack of a sync (compose files, interpolation, references, clashes)."""
    own = {name: snap.source for name, snap in snapshot.stacks.items()}
    gate = gate_stacks(desired, snapshot.source, own)
    logger = get_run_logger()
    for name, finding in sorted(gate.invalid.items()):
        logger.warning("stack %s is invalid and will not be deployed: %s", name, finding)
    return gate


@fleet_task("validate-offline", NEVER)
def validate_offline(snapshot: RepoSnapshot, resource_paths: Sequence[str]) -> tuple[Report, Desired]:
    """Resource-file and stack checks of a repository at a commit, with every secret resolver; stacks
    from other repositories are checked in them (fetched once each)."""
    secrets = secret_resolver()

    def open_repos(desired: Desired) -> dict[str, FileSource]:
        rewrites = context.settings().git_url_rewrite
        found = stack_snapshots(desired, context.repo_cache(), secrets, rewrites=rewrites)
        return {name: snap.source for name, snap in found.items()}

    return validate_repo(
        snapshot.source, list(resource_paths) or [""], secrets=secrets, open_repos=open_repos
    )


@fleet_task("validate-hosts", NEVER)
async def check_hosts(desired: Desired, report: Report, timeout_s: float = 30) -> list[Finding]:
    """Host checks of the report's stacks, every server at once; an unreachable host is one finding."""
    settings = context.settings()

    def connect(server: Server) -> HostConnection:
        return connect_server(server, settings)

    return await run_host_checks(desired, report, connect, timeout=timeout_s)


__all__ = ["check_hosts", "check_stacks", "validate_offline"]
