"""``validate``: every check of ``fleetflow validate`` plus the host checks, on a repository at a commit.

Offline checks (resource files, compose files, interpolation with secrets from
every resolver, references, clashes per server), then the host checks of each
server at once (an unreachable host is one finding; the others go on). One
``validate`` table artifact; the run fails when a stack is invalid.

Ad hoc::

    from flows.validate import validate
    asyncio.run(validate(repo="examples/homelab"))
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import acreate_table_artifact
from prefect.runtime import flow_run

from fleetflow.errors import FleetflowError
from tasks.resources import open_repo
from tasks.validate import check_hosts, validate_offline


def _run_name() -> str:
    p = flow_run.parameters
    return f"validate {str(p.get('repo', '')).rstrip('/').rsplit('/', 1)[-1]}"


@flow(name="validate", flow_run_name=_run_name)
async def validate(
    repo: str,
    branch: str = "main",
    commit: str | None = None,
    resource_paths: list[str] | None = None,
    stacks: list[str] | None = None,
    host_timeout_s: float = 30.0,
    raise_on_error: bool = True,
) -> dict[str, Any]:
    """Validate ``stacks`` (None: all) of ``repo`` at ``commit``, offline and on their hosts."""
    logger = get_run_logger()
    snapshot = open_repo(repo, branch, commit)
    report, desired = validate_offline(snapshot, resource_paths or ["syncs"])
    if stacks:
        chosen = set(stacks)
        report.findings = [f for f in report.findings if not f.stack or f.stack in chosen]
        report.stacks = {n: s for n, s in report.stacks.items() if n in chosen}
        report.facts = {n: f for n, f in report.facts.items() if n in chosen}
    await check_hosts(desired, report, host_timeout_s)
    summary = f"{len(report.stacks)} stack(s) at {snapshot.short}: {len(report.errors)} error(s), " + (
        f"{len(report.warnings)} warning(s)"
    )
    await acreate_table_artifact(key="validate", table=report.rows(), description=summary)
    for finding in report.errors:
        logger.warning("%s", finding)
    result = {"commit": snapshot.commit, **report.as_dict()}
    if raise_on_error and not report.ok:
        invalid = sorted(report.invalid_stacks())
        raise FleetflowError(
            f"validation failed: {summary}" + (f"; invalid: {', '.join(invalid)}" if invalid else "")
        )
    return result
