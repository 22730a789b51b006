"""``deploy-stack``: deploy one stack at one commit on its server (runs on pool ``host-<server>``).

Ad hoc::

    from flows.deploy_stack import deploy_stack
    asyncio.run(deploy_stack(repo="/srv/git/homelab.git", stack="newt"))
"""

from __future__ import annotations

import time
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import acreate_markdown_artifact
from prefect.runtime import flow_run

from fleetflow.deploy import DeployResult, DeployStatus, inputs_digest
from fleetflow.deploy.backoff import alert_due, hold, streak
from fleetflow.errors import DeployFailed, FleetflowError
from fleetflow.runtime import context
from fleetflow.runtime.history import StoreHistory, attempts
from fleetflow.runtime.hosts import connect_server
from fleetflow.runtime.report import deploy_markdown
from fleetflow.runtime.secrets import secret_resolver
from fleetflow.runtime.specs import deploy_spec
from fleetflow.store import DeployStatus as StoreDeployStatus
from fleetflow.store import Severity, StateStore
from fleetflow.store.codec import utcnow
from tasks.deploy import deploy_on_host, handed_off
from tasks.resources import load_desired, open_repo, open_sources


def _run_name() -> str:
    p = flow_run.parameters
    commit = str(p.get("commit") or "head")[:7]
    return f"deploy {p.get('stack')} @ {p.get('server') or '?'} {commit}"


def record_failure(store: StateStore, stack: str, server: str, commit: str, exc: BaseException) -> None:
    """A deploy that never produced a result (host unreachable, timeout) still gets a record:
    its host and reason are what ``status``, the API and the sync's outcome show.
    """
    now = utcnow()
    store.record_deploy(
        stack=stack,
        server=server,
        commit=commit,
        fingerprint="",
        status=StoreDeployStatus.FAILED,
        started=now,
        finished=now,
        services={},
        summary=str(exc) or type(exc).__name__,
    )


def alert_key(stack: str) -> str:
    """Dedup key of a stack's deploy alert."""
    return f"deploy:{stack}"


@flow(name="deploy-stack", flow_run_name=_run_name, log_prints=False)
async def deploy_stack(
    repo: str,
    stack: str,
    server: str = "",
    commit: str | None = None,
    branch: str = "main",
    resource_paths: list[str] | None = None,
    force: bool = False,
    retry_now: bool = False,
    source_commits: dict[str, str] | None = None,
    force_reason: str = "",
) -> dict[str, Any]:
    """Deploy ``stack`` from ``repo`` at ``commit`` (default: branch head) unless unchanged
    (``force``: anyway, saying ``force_reason``, default "forced").

    A stack whose files live in another repository reads it at ``source_commits[url#branch]``
    (the commit its sync saw), else at its pinned commit or branch head. As a subflow of a sync
    in this process it deploys what the sync prepared (no second fetch, load, spec or change
    check); run on its own (UI, API, an agent) it builds all of that itself.
    """
    began = time.perf_counter()
    settings = context.settings()
    prepared = handed_off(repo, stack, commit)
    if prepared is not None:
        snapshot, desired, spec = prepared.snapshot, prepared.desired, prepared.spec
    else:
        snapshot = open_repo(repo, branch, commit)
        desired = load_desired(snapshot, resource_paths or [])
        if stack not in desired.stacks:
            raise FleetflowError(
                f"stack {stack!r} is not in the resource files of {snapshot.display} at {snapshot.short}",
                hint="Check the name, or sync first.",
            )
        snapshot = open_sources(desired, snapshot, only=[stack], heads=source_commits)
        spec = deploy_spec(
            stack, desired, snapshot, timeout_s=settings.deploy_timeout_seconds, secrets=secret_resolver()
        )
    entry = desired.stacks[stack]
    server_entry = desired.servers[entry.config.server]  # address with [[NAME]] interpolated
    host = connect_server(server_entry, settings)
    apply = force or entry.config.auto_update
    store = context.store()
    past = attempts(store, stack)
    digest = inputs_digest(spec)
    waiting = hold(streak(past, digest), utcnow(), force=force or retry_now)
    if waiting:
        get_run_logger().info("%s @ %s: %s", stack, server_entry.name, waiting)
        held = DeployResult(
            host=server_entry.name,
            stack=stack,
            project=spec.project_name,
            status=DeployStatus.SKIPPED,
            reason=waiting,
            commit=spec.commit,
            repo=spec.repo,
            inputs_digest=digest,
        )
        StoreHistory(store).record(held)  # neutral in the streak; the sync's outcome reads it
        return held.model_dump(mode="json", exclude={"output_tail"})
    prepare = round(time.perf_counter() - began, 3)
    try:
        # no tags on the task: a tagged task run costs an API write (Prefect's tag concurrency
        # check); runs on host pools carry host:/stack: tags
        why = force_reason if force else (prepared.reason if prepared else "")
        result: DeployResult = await deploy_on_host.with_options(timeout_seconds=spec.timeout_s * 3 + 120)(
            host, spec, force=force, apply=apply, reason=why, local_slot=prepared is not None,
        )  # fmt: skip
    except Exception as exc:
        store.open_alert(
            alert_key(stack), Severity.CRITICAL, f"deploy of {stack} on {host.name} failed: {exc}"
        )
        record_failure(store, stack, server_entry.name, spec.commit, exc)
        raise
    task = time.perf_counter() - began - prepare
    untimed = round(task - sum(result.durations.values()), 3)  # task engine, change check, records
    total = round(time.perf_counter() - began, 3)
    phases = {"prepare": prepare, **result.durations, "other": untimed, "total": total}
    await acreate_markdown_artifact(
        key=f"deploy-{stack}".lower().replace("_", "-"),
        markdown=deploy_markdown(result.model_copy(update={"durations": phases})),
        description=f"deploy {stack} @ {server_entry.name} {snapshot.for_stack(stack).short}",
    )
    if result.status in (DeployStatus.FAILED, DeployStatus.ROLLED_BACK):
        if alert_due(past, digest):  # one alert per failure streak; retries back off quietly
            store.open_alert(
                alert_key(stack), Severity.CRITICAL, f"deploy of {stack} on {host.name}: {result.reason}"
            )
        raise DeployFailed(f"stack {stack} on {host.name} {result.status.value}: {result.reason}")
    store.resolve_alert(alert_key(stack))
    get_run_logger().info("%s %s: %s", stack, result.status.value, result.reason)
    return result.model_dump(mode="json", exclude={"output_tail"})
