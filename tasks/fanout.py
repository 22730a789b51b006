"""Fan a sync out to its stacks: in-process subflows (reconcile, serve) or runs on host pools.

``inline`` calls ``deploy-stack`` as a subflow in this process (one box).
``deployments`` creates a ``deploy-stack/host-<server>`` run for each stack,
picked up by that server's agent, with an idempotency key of stack + inputs
digest + commit, so overlapping triggers never deploy a commit twice.
Every stack gets an outcome; one failing never stops the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from prefect.deployments import arun_deployment

from fleetflow.deploy import Action, inputs_digest
from fleetflow.deploy.changes import why_deploy
from fleetflow.resources import Desired
from fleetflow.runtime import context, names
from fleetflow.runtime.history import StoreHistory
from fleetflow.runtime.hosts import connect_server, is_agentless
from fleetflow.runtime.secrets import secret_resolver
from fleetflow.runtime.servers import applied_server
from fleetflow.runtime.snapshot import RepoSnapshot
from fleetflow.runtime.specs import deploy_spec
from fleetflow.store import ResourceRecord
from tasks.deploy import Prepared, handing_off

Outcome = dict[str, Any]
RUN_POLL_SECONDS = 0.5
"""How often a sync reads the state of a deploy run it started on a host pool (one API read)."""


def wait_seconds() -> float:
    """How long a sync waits for one host's run: two deploy timeouts plus time to be picked up."""
    return float(context.settings().deploy_timeout_seconds * 2 + 120)


def not_picked_up(server: str, commit: str, state: str | None) -> Outcome:
    """The outcome of a run still waiting when the sync stopped waiting."""
    return {
        "status": "failed",
        "host": server,
        "commit": commit,
        "reason": f"run still {state} after {wait_seconds():.0f} s: is the agent of {server} running? "
        f"(fleetflow agent --server {server})",
    }


def _failed(server: str, commit: str, exc: BaseException) -> Outcome:
    return {"status": "failed", "host": server, "commit": commit, "reason": str(exc) or type(exc).__name__}


async def prepare_inline(stack: str, desired: Desired, snapshot: RepoSnapshot) -> Outcome | Prepared | None:
    """Build the stack's deploy spec once and check it: the skipped outcome when the last good deploy
    is what runs (no deploy-stack run), else what its ``deploy-stack`` subflow deploys (no second
    fetch, load or spec). ``None``: let ``deploy-stack`` decide and report it.

    The check is the one ``deploy-stack`` makes first (inputs digest, containers and images on
    the host, no compose call). Any doubt (host not answering, a spec error) → None.
    """
    settings = context.settings()
    history = StoreHistory(context.store())
    last = history.last_good(stack)
    server = desired.stacks[stack].config.server
    cfg = desired.stacks[stack].config
    try:
        spec = deploy_spec(stack, desired, snapshot, timeout_s=settings.deploy_timeout_seconds)
        host = connect_server(desired.resources.servers[server], settings)
        reason = await why_deploy(host, spec, last)
        if reason and cfg.registry_provider and cfg.registry_account:  # the token, only to deploy
            spec = deploy_spec(
                stack, desired, snapshot, timeout_s=settings.deploy_timeout_seconds, secrets=secret_resolver()
            )
    except Exception:
        return None
    if reason or last is None:
        return Prepared(snapshot=snapshot, desired=desired, spec=spec, reason=reason)
    return {
        "status": "skipped",
        "host": server,
        "commit": last.commit,
        "reason": f"unchanged: fingerprint {last.fingerprint[:12]} of {last.commit[:12]} is running",
    }


async def _inline(
    stack: str, server: str, params: Mapping[str, Any], force: bool, prepared: Prepared | None = None
) -> Outcome:
    from flows.deploy_stack import deploy_stack

    try:
        with handing_off(prepared):
            result: Outcome = await deploy_stack(stack=stack, server=server, force=force, **params)
    except Exception as exc:  # the outcome records it; the other stacks go on
        return _failed(server, str(params["commit"]), exc)
    return result


async def _on_pool(
    stack: str, server: str, desired: Desired, snapshot: RepoSnapshot, params: Mapping[str, Any], force: bool
) -> Outcome:
    spec = deploy_spec(stack, desired, snapshot)
    key = f"{stack}:{inputs_digest(spec)[:16]}:{snapshot.commit[:12]}{':force' if force else ''}"
    run = await arun_deployment(
        name=names.deploy_stack(server),
        parameters={"stack": stack, "server": server, "force": force, **params},
        idempotency_key=key,
        tags=[f"host:{server}", f"stack:{stack}"],
        timeout=wait_seconds(),
        poll_interval=RUN_POLL_SECONDS,
    )
    state = run.state
    if state is not None and not state.is_final():
        return not_picked_up(server, snapshot.commit, state.name)
    if state is None or not state.is_completed():
        kind = state.type.value.lower() if state is not None else "unknown"
        return {
            "status": "failed",
            "host": server,
            "commit": snapshot.commit,
            "reason": f"{kind}: {state and state.message}",
        }
    history = context.store().deploy_history(stack, limit=1)
    last = history[0] if history else None
    if last is not None and last.commit == snapshot.for_stack(stack).commit:
        return {"status": last.status.value, "host": server, "commit": last.commit, "reason": last.summary}
    return {
        "status": "skipped",
        "host": server,
        "commit": snapshot.commit,
        "reason": state.message or "unchanged",
    }


async def deploy_round(
    desired: Desired,
    snapshot: RepoSnapshot,
    stacks: Sequence[str],
    params: Mapping[str, Any],
    *,
    fan_out: str,
    force: bool,
) -> dict[str, Outcome]:
    """Deploy every stack of one round concurrently; return each one's outcome."""

    async def one(stack: str) -> tuple[str, Outcome]:
        server = desired.stacks[stack].config.server
        try:
            agentless = is_agentless(desired.resources.servers.get(server))
            prepared = None
            if fan_out == "inline" and not agentless and not force:
                quick = await prepare_inline(stack, desired, snapshot)
                if isinstance(quick, dict):
                    return stack, quick
                prepared = quick
            if fan_out == "inline" or agentless:
                return stack, await _inline(stack, server, params, force, prepared)
            return stack, await _on_pool(stack, server, desired, snapshot, params, force)
        except Exception as exc:
            return stack, _failed(server, snapshot.commit, exc)

    return dict(await asyncio.gather(*(one(s) for s in stacks)))


async def destroy_removed(
    stacks: Sequence[str],
    current: Mapping[str, Mapping[str, ResourceRecord]],
    desired: Desired,
    *,
    fan_out: str,
) -> dict[str, Outcome]:
    """``compose down`` every stack the sync deleted, on the server it was on."""
    from flows.stack_action import stack_action

    async def one(stack: str) -> tuple[str, Outcome]:
        config = current["stack"][stack].config.get("config", {})
        server = str(config.get("server", ""))
        project = str(config.get("project_name") or stack).lower()
        params = {"stack": stack, "server": server, "project": project, "action": Action.DESTROY.value}
        try:
            if fan_out == "inline" or is_agentless(applied_server(context.store(), server)):
                result: Outcome = await stack_action(**params)
            else:
                run = await arun_deployment(
                    name=names.stack_action(server),
                    parameters=params,
                    timeout=wait_seconds(),
                    poll_interval=2,
                )
                if run.state is not None and not run.state.is_final():
                    return stack, not_picked_up(server, "", run.state.name)
                ok = run.state is not None and run.state.is_completed()
                result = {
                    "status": "destroyed" if ok else "failed",
                    "reason": run.state and run.state.message,
                }
        except Exception as exc:
            return stack, _failed(server, "", exc)
        ok = result.get("status") in {"good", "destroyed"}
        return stack, {"host": server, "commit": "", **result, "status": "destroyed" if ok else "failed"}

    return dict(await asyncio.gather(*(one(s) for s in stacks)))
