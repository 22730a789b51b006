"""One ASGI app for ``fleetflow serve``: the ``/api`` endpoints, ``/healthz``, ``/metrics`` and the
push webhook receiver (its routes included here, its lifespan chained), with one OpenAPI document.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.routing import APIRoute
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException

from fleetflow import __version__
from fleetflow.api.auth import AUTH_WINDOW_S, ApiError, install_audit, store_unavailable
from fleetflow.api.health import Check, Health, PrefectProbe, prefect_probe, store_check, verdict
from fleetflow.api.launcher import DeploymentMissing, Launcher, PrefectLauncher
from fleetflow.api.metrics import StoreCollector, metrics_registry
from fleetflow.api.models import DeliveryView
from fleetflow.api.routes import ERRORS, Services, Svc, Viewer, get_delivery, router
from fleetflow.api.sources import NotFound, Planner, SyncSource, store_planner
from fleetflow.api.tokens import TokenVerifier
from fleetflow.errors import (
    ComponentUnavailable,
    ConfigError,
    FleetflowError,
    GitError,
    ResourceErrors,
    StoreError,
    StoreUnavailable,
)
from fleetflow.limits import limit
from fleetflow.runtime.names import DeploymentNames
from fleetflow.settings import Settings, load_settings
from fleetflow.store import StateStore
from fleetflow.webhook import DeliveryLog
from fleetflow.webhook.coalesce import SourceLimiter

log = logging.getLogger(__name__)
DELIVERY_PATH = "/webhook/deliveries/{delivery_id}"

# Most specific first: the first matching class decides the status.
STATUS_OF: tuple[tuple[type[FleetflowError], int, str], ...] = (
    (NotFound, 404, "not_found"),
    (DeploymentMissing, 409, "not_registered"),
    (ResourceErrors, 422, "invalid_resources"),
    (ComponentUnavailable, 503, "unavailable"),
    (GitError, 502, "git_failed"),
    (ConfigError, 409, "conflict"),
)


def error_response(exc: FleetflowError) -> JSONResponse:
    """A fleetflow error as a JSON answer naming what failed and what to do.

    State DB faults are 503 without their message (it names paths and URLs): logged instead.
    """
    if isinstance(exc, StoreError | StoreUnavailable):
        log.warning("state DB fault: %s", exc)
        return store_unavailable().response()
    status, code = next(((s, c) for cls, s, c in STATUS_OF if isinstance(exc, cls)), (500, "failed"))
    return ApiError(status, code, exc.message, exc.hint).response()


async def _http_error(_: Request, exc: Exception) -> Response:
    """404, 405 and other router answers in the shared error shape."""
    assert isinstance(exc, StarletteHTTPException)
    codes = {404: "not_found", 405: "method_not_allowed"}
    hint = "See /docs for the routes and their methods."
    message = exc.detail if isinstance(exc.detail, str) else "request refused"
    error = ApiError(exc.status_code, codes.get(exc.status_code, "http_error"), message, hint)
    response = error.response()
    for key, value in (exc.headers or {}).items():
        response.headers[key] = value
    return response


async def _unexpected(_: Request, exc: Exception) -> Response:
    """Anything unforeseen: 500 in the shared shape, the details only in the log."""
    log.error("unexpected error in the API: %s", type(exc).__name__, exc_info=exc)
    hint = "The server log has the details; please report it."
    return ApiError(500, "internal", "internal error", hint).response()


async def _api_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return exc.response()


async def _invalid_request(_: Request, exc: Exception) -> Response:
    """A request FastAPI could not validate, answered in the same shape as every other error."""
    assert isinstance(exc, RequestValidationError)
    problems = "; ".join(
        f"{'.'.join(str(part) for part in err['loc'])}: {err['msg']}" for err in exc.errors()
    )
    hint = "See /docs for each parameter's accepted values."
    return ApiError(422, "invalid_request", problems or "request not valid", hint).response()


async def _fleetflow_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, FleetflowError)
    return error_response(exc)


def create_api_app(
    store: StateStore,
    *,
    launcher: Launcher | None = None,
    planner: Planner | None = None,
    settings: Settings | None = None,
    webhook_app: FastAPI | None = None,
    prefect: PrefectProbe | None = None,
    max_poll_age_s: float | None = None,
    metrics_interval_s: float = 10.0,
    names: DeploymentNames | None = None,
    local_sources: Sequence[SyncSource] = (),
) -> FastAPI:
    """The API app over ``store``; ``launcher`` defaults to Prefect, ``webhook_app`` joins the same app.

    ``names`` maps actions to Prefect deployments (per-host pools by default); ``local_sources``
    are the syncs this process serves itself (``fleetflow serve``), preferred over the state DB.
    """
    cfg = settings or load_settings()
    deliveries: DeliveryLog | None = getattr(webhook_app.state, "deliveries", None) if webhook_app else None
    probe = prefect or prefect_probe()
    registry = metrics_registry(
        StoreCollector(store, backup_root=cfg.backup_root, min_interval_s=metrics_interval_s)
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            if webhook_app is not None:
                await stack.enter_async_context(webhook_app.router.lifespan_context(webhook_app))
            yield

    app = FastAPI(
        title="fleetflow",
        version=__version__,
        description="GitOps for fleets of Docker hosts: deploys, stack actions, syncs, health, metrics.",
        lifespan=lifespan,
    )
    app.state.verifier = TokenVerifier(store)
    app.state.auth_limiter = SourceLimiter(1 << 30, limit("AUTH_FAILURES"), AUTH_WINDOW_S)
    app.state.services = Services(
        store=store,
        launcher=launcher or PrefectLauncher(),
        planner=planner or store_planner(store, cfg),
        deliveries=deliveries,
        names=names or DeploymentNames(),
        local=tuple(local_sources),
    )
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(FleetflowError, _fleetflow_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
    install_audit(app, store)
    app.include_router(router)
    if webhook_app is not None:
        public = [r for r in webhook_app.routes if isinstance(r, APIRoute) and r.path != DELIVERY_PATH]
        app.router.routes.extend(public)

        @app.get(DELIVERY_PATH, tags=["read"], responses=ERRORS)
        def webhook_delivery(delivery_id: str, caller: Viewer, svc: Svc) -> DeliveryView:
            """A webhook delivery's outcome (needs a viewer token, like /api/deliveries/{id})."""
            return get_delivery(delivery_id, caller, svc)

    @app.get("/healthz", tags=["ops"], response_model=Health, responses={503: {"model": Health}})
    async def healthz() -> JSONResponse:
        """Store, Prefect API and last poll; 200 when healthy, 503 otherwise (no auth)."""
        store_ok, age = await anyio.to_thread.run_sync(store_check, store)
        reason = await probe()
        health = verdict(store_ok, Check(ok=reason is None, detail=reason or ""), age, max_poll_age_s)
        return JSONResponse(health.model_dump(mode="json"), status_code=200 if health.status == "ok" else 503)

    @app.get("/metrics", tags=["ops"], response_class=PlainTextResponse)
    async def metrics(request: Request) -> Response:
        """Prometheus text format: syncs, deploys by outcome and duration, hosts up, alerts, backups."""
        try:
            body = await anyio.to_thread.run_sync(generate_latest, registry)
        except FleetflowError as exc:
            return PlainTextResponse(f"# metrics unavailable: {exc.message}\n", status_code=503)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return app
