"""Bearer-token auth, roles, JSON errors and the audit trail of every API call.

401: no token, a malformed one, or one that is unknown, revoked or expired.
403: a valid token whose role does not allow the call. Each ``/api`` call is
recorded in the audit log with the token's name (never the token).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import partial
from typing import Annotated, Any

import anyio.to_thread
from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict

from fleetflow.api.tokens import Role, TokenVerifier
from fleetflow.clients import client_address, trusted_proxies
from fleetflow.errors import FleetflowError
from fleetflow.store import AuditRecord, StateStore
from fleetflow.store.ops import AUDIT_TEXT_MAX
from fleetflow.webhook.coalesce import SourceLimiter

FAILED_AUTH_AUDIT_TTL = timedelta(days=1)
AUTH_WINDOW_S = 60.0
"""Window of the per-client limit on failed authentications (``FLEETFLOW_LIMIT_AUTH_FAILURES``)."""

log = logging.getLogger(__name__)
ANONYMOUS = "-"
_bearer = HTTPBearer(auto_error=False, description="An API token: `ff_<name>_<secret>`.")


class ApiError(Exception):
    """An error answered as JSON ``{"error", "message", "hint"}`` with ``status``."""

    def __init__(self, status: int, error: str, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.status, self.error, self.message, self.hint = status, error, message, hint

    def response(self) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if self.status == 401 else None
        body = {"error": self.error, "message": self.message, "hint": self.hint}
        return JSONResponse(body, status_code=self.status, headers=headers)


class Principal(BaseModel):
    """Who is calling: the token's name and role."""

    model_config = ConfigDict(frozen=True)

    name: str
    role: Role


def store_unavailable() -> ApiError:
    """503 for a state DB that cannot be read, naming no path or URL (details go to the log)."""
    return ApiError(
        503,
        "store_unavailable",
        "the state DB cannot be read right now",
        "Retry later; the server log and /healthz tell the operator what failed.",
    )


def _unauthorized(message: str) -> ApiError:
    return ApiError(
        401,
        "unauthorized",
        message,
        "Send `Authorization: Bearer ff_<name>_<secret>` (fleetflow token create).",
    )


async def principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    """The caller behind the bearer token; :class:`ApiError` 401 when there is none valid."""
    limiter: SourceLimiter = request.app.state.auth_limiter
    client = client_address(
        request.client.host if request.client else None, request.headers, trusted_proxies()
    )
    if (why := limiter.failing(client)) is not None:
        raise ApiError(
            429, "too_many_failures", why, "Fix the token; failed attempts expire after the window."
        )
    if credentials is None:
        limiter.failed(client)
        raise _unauthorized("no API token (expected an Authorization: Bearer header)")
    verifier: TokenVerifier = request.app.state.verifier
    try:
        found = await anyio.to_thread.run_sync(verifier.verify, credentials.credentials)
    except FleetflowError as exc:  # the caller is not known yet: no paths or URLs in the answer
        log.warning("token check failed: %s", exc)
        raise store_unavailable() from None
    if found is None:
        limiter.failed(client)
        raise _unauthorized("API token not valid: malformed, unknown, revoked or expired")
    request.state.actor = found[0]
    return Principal(name=found[0], role=found[1])


def require(role: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting tokens whose role includes ``role`` (403 otherwise)."""

    async def check(caller: Annotated[Principal, Depends(principal)]) -> Principal:
        allow(caller, role)
        return caller

    return check


def allow(caller: Principal, role: Role, what: str = "this call") -> None:
    """Raise 403 unless ``caller`` may do what ``role`` may."""
    if not caller.role.allows(role):
        raise ApiError(
            403,
            "forbidden",
            f"token {caller.name!r} has role {caller.role.value}; {what} needs {role.value}",
            "Use a token with that role (fleetflow token create --role ...).",
        )


def install_audit(app: FastAPI, store: StateStore) -> None:
    """Record every ``/api`` call: who (token name), method, route, target and status."""

    @app.middleware("http")
    async def audit(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        if not request.url.path.startswith("/api/"):
            return response
        route = request.scope.get("route")
        template = getattr(route, "path", request.url.path)
        detail: dict[str, Any] = {"method": request.method, "status": response.status_code}
        detail |= getattr(request.state, "audit", {})
        actor = getattr(request.state, "actor", ANONYMOUS)
        if actor == ANONYMOUS and response.status_code == 429:
            return response  # the limiter's refusals are the flood itself: not written, only counted
        record = AuditRecord(
            action=f"api {request.method} {template}"[:AUDIT_TEXT_MAX],
            actor=actor,
            target=request.url.path[:AUDIT_TEXT_MAX],
            detail=detail,
        )
        expire = FAILED_AUTH_AUDIT_TTL if actor == ANONYMOUS else None  # unauthenticated: bounded
        try:
            await anyio.to_thread.run_sync(partial(store.audit, record, expire_after=expire))
        except Exception as exc:  # the call happened; losing its audit line must not hide that
            log.warning("audit of %s %s failed: %s", request.method, template, type(exc).__name__)
        return response
