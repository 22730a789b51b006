"""The ``/api`` endpoints: read the fleet, start deploys, stack actions and syncs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

import anyio.to_thread
from fastapi import APIRouter, Depends, Query, Request

from fleetflow.api.auth import ApiError, Principal, allow, require
from fleetflow.api.launcher import LaunchedRun, Launcher
from fleetflow.api.models import (
    BackoffView,
    DeliveryView,
    DeployView,
    ErrorBody,
    PlanView,
    Revoked,
    ServerSummary,
    StackAction,
    StackDetail,
    StackSummary,
)
from fleetflow.api.sources import Planner, SyncSource, source_for_stack, stack_target, sync_source
from fleetflow.api.tokens import Role, TokenInfo, list_tokens, revoke_token
from fleetflow.resources.credentials import mask_credentials
from fleetflow.runtime.history import backoff_view, current_backoff
from fleetflow.runtime.names import DeploymentNames
from fleetflow.store import ResourceRecord, StateStore
from fleetflow.store.codec import utcnow
from fleetflow.webhook import DeliveryLog

T = TypeVar("T")
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody} for code in (401, 403, 404, 409, 422, 429, 503)
}
Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]
Operator = Annotated[Principal, Depends(require(Role.OPERATOR))]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]


@dataclass(frozen=True)
class Services:
    """What the endpoints use, handed in by the app factory."""

    store: StateStore
    launcher: Launcher
    planner: Planner
    deliveries: DeliveryLog | None = None
    names: DeploymentNames = field(default_factory=DeploymentNames)
    """Which deployment runs what (per-host pools on a fleet, one in-process set under ``serve``)."""
    local: tuple[SyncSource, ...] = ()
    """Syncs this process serves itself (``serve``'s own): they win over the state DB's entries."""


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


Svc = Annotated[Services, Depends(services)]


async def _blocking(fn: Callable[[], T]) -> T:
    return await anyio.to_thread.run_sync(fn)


def _summary(record: ResourceRecord, last_good: DeployView | None) -> dict[str, Any]:
    config = record.config.get("config", {})
    return {
        "name": record.name,
        "server": str(config.get("server", "")),
        "commit": record.commit,
        "revision": record.revision,
        "updated": record.updated,
        "last_good": last_good,
    }


def _tags(caller: Principal) -> list[str]:
    return ["api", f"token:{caller.name}"]


def _started(request: Request, run: LaunchedRun) -> LaunchedRun:
    request.state.audit = {"flow_run_id": run.flow_run_id}
    return run


router = APIRouter(prefix="/api", responses=ERRORS)


@router.get("/stacks", tags=["read"])
def list_stacks(_: Viewer, svc: Svc) -> list[StackSummary]:
    """Every applied stack with its last good deploy."""
    good = svc.store.last_good_deploys()
    return [
        StackSummary(**_summary(r, DeployView.of(good[r.name]) if r.name in good else None))
        for r in svc.store.list_resources("stack")
    ]


@router.get("/stack/{name}", tags=["read"])
def get_stack(
    name: str, caller: Viewer, svc: Svc, limit: Annotated[int, Query(ge=1, le=100)] = 10
) -> StackDetail:
    """One stack: its applied config and its latest deploys (newest first)."""
    record = svc.store.get_resource("stack", name)
    if record is None:
        raise ApiError(
            404, "not_found", f"no stack {name!r} in the state DB", "Check the name (GET /api/stacks)."
        )
    good = svc.store.last_good_deploy(name)
    deploys = [DeployView.of(d) for d in svc.store.deploy_history(name, limit=limit)]
    base = _summary(record, DeployView.of(good) if good else None)
    waiting = current_backoff(svc.store, name)
    backoff = BackoffView(**backoff_view(waiting)) if waiting and waiting.next_attempt > utcnow() else None
    config = record.config if caller.role.allows(Role.ADMIN) else mask_credentials(record.config)
    return StackDetail(**base, config=config, deploys=deploys, backoff=backoff)


@router.get("/servers", tags=["read"])
def list_servers(_: Viewer, svc: Svc) -> list[ServerSummary]:
    """Every applied server and when its health was last sampled."""
    out = []
    for record in svc.store.list_resources("server"):
        config = record.config.get("config", {})
        health = svc.store.latest_health(record.name)
        out.append(
            ServerSummary(
                name=record.name,
                address=str(config.get("address", "")),
                region=str(config.get("region", "")),
                enabled=bool(config.get("enabled", True)),
                last_health=health.at if health else None,
            )
        )
    return out


@router.get("/deliveries/{delivery_id}", tags=["read"])
def get_delivery(delivery_id: str, _: Viewer, svc: Svc) -> DeliveryView:
    """A webhook delivery: its status here, or its record in the state DB."""
    live = svc.deliveries.get(delivery_id) if svc.deliveries else None
    if live is not None:
        return DeliveryView(
            id=live.id,
            provider=live.provider,
            status=live.status.value,
            reason=live.reason,
            endpoint=live.endpoint,
            branch=live.branch,
            commit=live.commit,
            received=live.received_at,
        )
    stored = svc.store.get_webhook(delivery_id)
    if stored is None:
        raise ApiError(404, "not_found", f"no webhook delivery {delivery_id!r}", "Check the delivery id.")
    return DeliveryView(
        id=stored.delivery_id,
        provider=stored.provider,
        status=stored.outcome,
        branch=stored.branch,
        commit=stored.commit,
        received=stored.received,
        run_id=stored.run_id,
    )


@router.post("/stack/{name}/deploy", tags=["act"])
async def deploy_stack(
    name: str,
    request: Request,
    caller: Operator,
    svc: Svc,
    force: bool = False,
    sync: Annotated[str | None, Query(description="The sync holding the stack, when several.")] = None,
) -> LaunchedRun:
    """Deploy the stack at its applied commit on its server (``force``: even when unchanged)."""
    target = await _blocking(lambda: stack_target(svc.store, name))
    source = await _blocking(lambda: source_for_stack(svc.store, name, sync, local=svc.local))
    params = {
        "repo": source.repo,
        "branch": source.branch,
        "commit": target.commit or None,
        "resource_paths": source.resource_paths,
        "stack": name,
        "server": target.server,
        "force": force,
        "retry_now": True,  # a deploy asked for by a person goes ahead even while backing off
    }
    run = await svc.launcher.launch(svc.names.deploy_stack(target.server), params, tags=_tags(caller))
    return _started(request, run)


@router.post("/stack/{name}/{action}", tags=["act"])
async def stack_action(
    name: str, action: StackAction, request: Request, caller: Viewer, svc: Svc
) -> LaunchedRun:
    """Start, stop, restart, pull (operator) or destroy (admin) the stack's compose project on its server."""
    allow(caller, Role.ADMIN if action is StackAction.DESTROY else Role.OPERATOR, action.value)
    target = await _blocking(lambda: stack_target(svc.store, name))
    params = {"stack": name, "server": target.server, "action": action.value, "project": target.project}
    run = await svc.launcher.launch(svc.names.stack_action(target.server), params, tags=_tags(caller))
    return _started(request, run)


@router.post("/sync/{name}/run", tags=["act"], response_model=LaunchedRun | PlanView)
async def run_sync(
    name: str, request: Request, caller: Operator, svc: Svc, dry_run: bool = False, force: bool = False
) -> LaunchedRun | PlanView:
    """Run the resource sync now; ``dry_run`` returns its plan at the branch head and changes nothing."""
    source = await _blocking(lambda: sync_source(svc.store, name, local=svc.local))
    if dry_run:
        result = await _blocking(lambda: svc.planner(source, force))
        return PlanView(sync=name, **result)
    params = {"force": True} if force else {}
    run = await svc.launcher.launch(svc.names.sync_resources(source.name), params, tags=_tags(caller))
    return _started(request, run)


@router.get("/tokens", tags=["admin"])
def get_tokens(_: Admin, svc: Svc) -> list[TokenInfo]:
    """Every API token (name, role, created, last used, expiry; never secrets)."""
    return list_tokens(svc.store)


@router.delete("/tokens/{name}", tags=["admin"])
def delete_token(name: str, _: Admin, svc: Svc) -> Revoked:
    """Revoke a token at once."""
    if not revoke_token(svc.store, name):
        raise ApiError(404, "not_found", f"no token {name!r}", "See GET /api/tokens.")
    return Revoked(name=name, revoked=True)
