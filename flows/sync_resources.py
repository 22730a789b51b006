"""``sync-resources``: load -> validate -> plan -> apply -> pick stacks -> deploy in ``after`` rounds.

A plan with errors applies nothing: the run fails listing every problem (file,
line, field). Stacks deploy round by round; within a round all run at once and
one host failing does not stop the others. The run's result (and its table
artifact) lists every stack's outcome.

Ad hoc::

    from flows.sync_resources import sync_resources
    asyncio.run(sync_resources(repo="examples/homelab", dry_run=True))
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Coroutine, Mapping, Sequence
from typing import Any, Literal

from prefect import flow, get_run_logger
from prefect.artifacts import acreate_markdown_artifact, acreate_table_artifact
from prefect.runtime import flow_run

from fleetflow.deploy import inputs_digest
from fleetflow.errors import FleetflowError, ResourceErrors
from fleetflow.resources import Action, Desired, Kind, render_rows, render_text, summary
from fleetflow.runtime import context
from fleetflow.runtime.apply import apply_plan, as_state, read_current
from fleetflow.runtime.history import StoreHistory
from fleetflow.runtime.host_checks import check_host_files
from fleetflow.runtime.hosts import is_agentless
from fleetflow.runtime.push_force import REASON as PUSH_FORCED
from fleetflow.runtime.push_force import webhook_forced
from fleetflow.runtime.report import errors_markdown, outcome_rows, warnings_markdown
from fleetflow.runtime.select import deployable, stacks_to_consider
from fleetflow.runtime.snapshot import RepoSnapshot
from fleetflow.runtime.specs import deploy_spec
from fleetflow.runtime.stack_repos import source_heads
from fleetflow.store import SyncOutcome
from flows.register_hosts import register_hosts
from tasks.fanout import deploy_round, destroy_removed
from tasks.resources import make_plan, open_repo, open_sources, resolve_desired
from tasks.validate import check_stacks

FanOut = Literal["inline", "deployments"]
FAILED = {"failed", "rolled_back", "crashed", "cancelled", "invalid"}


def agent_servers(desired: Desired) -> set[str]:
    """Enabled servers that run an agent (SSH servers are deployed to from core, no pool)."""
    return {n for n, s in desired.resources.servers.items() if s.config.enabled and not is_agentless(s)}


def would_deploy(
    desired: Desired,
    snapshot: RepoSnapshot,
    rounds: Sequence[Sequence[str]],
    why: Mapping[str, Sequence[str]],
    history: StoreHistory,
    force: bool,
    forced: Sequence[str] = (),
) -> dict[str, dict[str, Any]]:
    """The dry run's stack outcomes: each stack a real run would deploy, its host and why.

    Decided from the inputs alone (no host is contacted): a stack whose inputs
    digest matches its last good deploy is left out; container drift is found
    at deploy time and by the health round. ``forced``: stacks deployed unchanged (a push's
    ``webhook_force_deploy``).
    """
    out: dict[str, dict[str, Any]] = {}
    for name in (n for stacks in rounds for n in stacks):
        last = history.last_good(name)
        reason = "; ".join(why.get(name, ())) or "changed"
        compared = not force and name not in forced
        if compared and last is not None:
            if last.inputs_digest == inputs_digest(deploy_spec(name, desired, snapshot)):
                continue
            reason = f"inputs changed since {last.commit[:12]} (config, files or variables)"
        elif compared:
            reason = "first deploy (no good deploy recorded)"
        own = snapshot.for_stack(name)
        out[name] = {
            "status": "would_deploy",
            "host": desired.stacks[name].config.server,
            "commit": own.commit,
            "reason": reason,
        }
        if own is not snapshot:
            out[name]["repo"] = own.display
    return out


REGISTERED_FOR_SECONDS = 300.0
_registered: dict[tuple[str, str], float] = {}


async def register_new_hosts(servers: set[str]) -> None:
    """Register the pools and deployments of ``servers`` not registered by this process (on this
    Prefect API) in the last 5 minutes: a sync does not rewrite every host's deployments each time,
    and a pool removed by hand is back within minutes."""
    from prefect.settings import get_current_settings

    api, now = str(get_current_settings().api.url), time.monotonic()
    new = {
        s
        for s in servers
        if now - _registered.get((api, s), -REGISTERED_FOR_SECONDS) >= REGISTERED_FOR_SECONDS
    }
    if new:
        await register_hosts(new)
        _registered.update(dict.fromkeys(((api, s) for s in new), now))


def _run_name() -> str:
    p = flow_run.parameters
    label = p.get("sync_name") or str(p.get("repo", "")).rstrip("/").rsplit("/", 1)[-1]
    return f"sync {label}{' (dry run)' if p.get('dry_run') else ''}"


async def _report_warnings(warnings: list[str]) -> None:
    """Warnings are logged and kept as the run's ``sync-warnings`` artifact, never dropped."""
    if not warnings:
        return
    logger = get_run_logger()
    for warning in warnings:
        logger.warning("%s", warning)
    await acreate_markdown_artifact(key="sync-warnings", markdown=warnings_markdown(warnings))


class Later:
    """API writes (artifacts) made after the deploys instead of before them, one after the other:
    off the path to running containers, and never racing the deploy runs' own writes (on SQLite,
    concurrent writes make Prefect answer 503 and its client retry after about 2 s)."""

    def __init__(self) -> None:
        self.writes: list[Coroutine[Any, Any, Any]] = []

    def add(self, write: Coroutine[Any, Any, Any]) -> None:
        self.writes.append(write)

    async def finish(self) -> None:
        """Make every write in order; the first error is raised after all were tried."""
        writes, self.writes = self.writes, []
        error: BaseException | None = None
        for write in writes:
            try:
                await write
            except Exception as exc:
                error = error or exc
        if error is not None:
            raise error


@flow(name="sync-resources", flow_run_name=_run_name)
async def sync_resources(
    repo: str,
    branch: str = "main",
    commit: str | None = None,
    resource_paths: list[str] | None = None,
    sync_name: str = "",
    delete: bool | None = None,
    dry_run: bool = False,
    fan_out: FanOut = "inline",
    changed_paths: list[str] | None = None,
    force: bool = False,
    strict: bool = False,
    source_commits: dict[str, str] | None = None,
    webhook: bool = False,
) -> dict[str, Any]:
    """Apply the resource files of ``repo`` at ``commit`` and deploy what changed.

    Every stack is validated offline first: an invalid one is not deployed (the others are);
    with ``strict``, any invalid stack applies nothing. Stacks whose files live in another
    repository read it at ``source_commits`` (``{url#branch: commit}``, seen by the poll) or at
    its branch head; an unreachable one fails the sync before anything is applied. ``webhook``:
    a verified push started this sync, so stacks with ``webhook_force_deploy`` deploy even when
    unchanged.
    """
    later = Later()
    try:
        result = await _sync(
            later, repo, branch, commit, resource_paths, sync_name, delete, dry_run, fan_out,
            changed_paths, force, strict, source_commits, webhook,
        )  # fmt: skip
    except BaseException:
        with contextlib.suppress(Exception):  # the sync's own error is the one to report
            await later.finish()
        raise
    await later.finish()
    return result


async def _sync(
    later: Later,
    repo: str,
    branch: str,
    commit: str | None,
    resource_paths: list[str] | None,
    sync_name: str,
    delete: bool | None,
    dry_run: bool,
    fan_out: FanOut,
    changed_paths: list[str] | None,
    force: bool,
    strict: bool,
    source_commits: dict[str, str] | None,
    webhook: bool,
) -> dict[str, Any]:
    logger = get_run_logger()
    store = context.store()
    snapshot = open_repo(repo, branch, commit)
    paths = resource_paths or []
    try:
        desired: Desired = resolve_desired(snapshot, paths)  # pure: a plain call, no task run
        snapshot = open_sources(desired, snapshot, heads=source_commits)
    except ResourceErrors as exc:
        problems = [str(e) for e in exc.errors]
        await _report_warnings(exc.warnings)
        await acreate_markdown_artifact(
            key="sync-errors", markdown=errors_markdown("Resource file errors", problems)
        )
        if not dry_run:  # a dry run writes nothing to the state DB
            run_id = store.start_sync_run(sync_name or snapshot.display, snapshot.commit, [])
            store.finish_sync_run(
                run_id, SyncOutcome.FAILED, {}, error=f"{len(problems)} problem(s) in resource files"
            )
        raise
    warnings = [str(w) for w in desired.warnings]
    later.add(_report_warnings(warnings))
    heads = source_heads(snapshot, desired)
    sync_entry = desired.resources.syncs.get(sync_name) if sync_name else None
    deletes = delete if delete is not None else bool(sync_entry and sync_entry.config.deletes)
    match_tags = list(sync_entry.config.match_tags) if sync_entry else []
    current = read_current(store)
    candidates = stacks_to_consider(desired, snapshot, store, current, changed_paths, force=force)
    pushed = webhook_forced(desired, deployable(desired)) if webhook and not force else []
    for name in pushed:
        candidates.setdefault(name, []).append(PUSH_FORCED)
    for name, why in sorted(candidates.items()):
        logger.info("consider %s: %s", name, "; ".join(why))
    plan = make_plan.fn(  # pure steps: plain calls, no task runs
        desired, as_state(current), delete=deletes, match_tags=match_tags, deploy=sorted(candidates)
    )
    gate = check_stacks.fn(desired, snapshot)
    plan = gate.apply_to(plan)
    rows = render_rows(plan) + gate.rows()
    later.add(
        acreate_table_artifact(
            key="sync-plan", table=rows, description=f"plan at {snapshot.short}: {summary(plan)}"
        )
    )
    later.add(acreate_markdown_artifact(key="sync-plan-diff", markdown=f"```\n{render_text(plan)}\n```"))
    logger.info(
        "plan at %s: %s; deploy rounds %s", snapshot.short, summary(plan), [list(r) for r in plan.rounds]
    )
    if dry_run:
        checks = await check_host_files(desired, snapshot, context.settings(), desired.stacks)
        for name, outcome in checks.items():
            logger.info("files on host of %s: %s", name, outcome)
        return {
            "commit": snapshot.commit,
            "plan": rows,
            "rounds": [list(r) for r in plan.rounds],
            "stacks": would_deploy(
                desired, snapshot, plan.rounds, candidates, StoreHistory(store), force, pushed
            ),
            "invalid": {n: str(f) for n, f in gate.invalid.items()},
            **({"error": gate.summary()} if gate.invalid else {}),
            "warnings": warnings,
            "host_files": checks,
            "sources": heads,
        }
    if strict and gate.invalid:
        run_id = store.start_sync_run(sync_name or snapshot.display, snapshot.commit, rows)
        store.finish_sync_run(run_id, SyncOutcome.FAILED, {}, error=f"{len(gate.invalid)} invalid stack(s)")
        gate.require_valid()

    owner = str(flow_run.id or "local")
    with store.hold_lease(f"sync:{snapshot.display}:{branch}", owner, ttl_s=3600):
        run_id = store.start_sync_run(sync_name or snapshot.display, snapshot.commit, rows)
        apply_plan(store, plan, desired, current, snapshot.commit)
        outcomes: dict[str, dict[str, Any]] = {
            n: o for n, o in gate.outcomes(snapshot.commit).items() if n in candidates
        }
        if fan_out == "deployments":
            await register_new_hosts(agent_servers(desired))
        params: dict[str, Any] = {
            "repo": repo,
            "branch": branch,
            "commit": snapshot.commit,
            "resource_paths": paths,
        }
        if heads:
            params["source_commits"] = heads
        for number, stacks in enumerate(plan.rounds, start=1):
            logger.info("round %d: %s", number, ", ".join(stacks))
            changed, forced = await asyncio.gather(
                deploy_round(desired, snapshot, [s for s in stacks if s not in pushed], params,
                             fan_out=fan_out, force=force),
                deploy_round(desired, snapshot, [s for s in stacks if s in pushed],
                             {**params, "force_reason": PUSH_FORCED}, fan_out=fan_out, force=True),
            )  # fmt: skip
            outcomes |= changed | forced
        for name, outcome_of in outcomes.items():  # which repository + commit a stack's files came from
            if snapshot.for_stack(name) is not snapshot:
                outcome_of.setdefault("repo", snapshot.for_stack(name).display)
        removed = [e.name for e in plan.changes if e.kind is Kind.STACK and e.action is Action.DELETE]
        outcomes |= await destroy_removed(removed, current, desired, fan_out=fan_out)
        if fan_out == "deployments" and deletes:
            await register_hosts(
                {n for n, s in desired.resources.servers.items() if s.config.enabled}, remove_missing=True
            )
        failed = sorted(name for name, o in outcomes.items() if o.get("status") in FAILED)
        outcome = SyncOutcome.SUCCEEDED if not failed else SyncOutcome.PARTIAL
        store.finish_sync_run(run_id, outcome, {n: str(o.get("status")) for n, o in outcomes.items()})
    table = outcome_rows(outcomes)
    if table:
        await acreate_table_artifact(
            key="sync-outcome", table=table, description=f"stacks at {snapshot.short}"
        )
    if failed:
        details = "; ".join(f"{n}: {outcomes[n].get('reason', '')}" for n in failed)
        raise FleetflowError(f"{len(failed)} of {len(outcomes)} stack(s) failed: {details}")
    return {
        "commit": snapshot.commit,
        "plan": rows,
        "rounds": [list(r) for r in plan.rounds],
        "stacks": outcomes,
        "warnings": warnings,
        "sources": heads,
    }
