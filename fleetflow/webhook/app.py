"""The push webhook receiver: an ASGI app (served by uvicorn in ``fleetflow serve``).

``POST /webhook/{provider}/{name}`` where ``name`` is a resource sync or stack
with a configured secret. A verified push of the tracked branch is recorded
and queued (coalesced) for ``handler``, which triggers an immediate poll; the
202 response carries the delivery id. ``GET /webhook/deliveries/{id}`` returns
the delivery's outcome. Rejections are recorded too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import replace

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, SecretStr

from fleetflow.clients import client_address, trusted_proxies
from fleetflow.errors import ConfigError
from fleetflow.webhook.coalesce import Coalescer, Handler, SourceLimiter
from fleetflow.webhook.deliveries import Delivery, DeliveryLog, DeliveryStatus, Recorder, new_delivery_id
from fleetflow.webhook.providers import ZERO_SHA, Provider, Push, Rejected, parse, verify


class WebhookLimits(BaseModel):
    """Receiver limits; defaults suit a homelab forge."""

    max_body_bytes: int = Field(default=1 << 20, ge=1024, description="Larger bodies get 413.")
    debounce_seconds: float = Field(default=0.5, ge=0, description="Quiet time before a batch fires.")
    max_delay_seconds: float = Field(default=5.0, ge=0, description="A batch fires at most this late.")
    max_requests_per_window: int = Field(default=600, ge=1, description="Per source address.")
    max_failures_per_window: int = Field(default=20, ge=1, description="Rejections before 429.")
    window_seconds: float = Field(default=60.0, gt=0, description="Sliding window of the rate limits.")
    delivery_capacity: int = Field(default=10_000, ge=10, description="Deliveries kept for queries.")


def create_app(
    handler: Handler,
    secrets: Mapping[str, SecretStr | str],
    *,
    branches: Mapping[str, str] | None = None,
    limits: WebhookLimits | None = None,
    recorder: Recorder | None = None,
) -> FastAPI:
    """The receiver for endpoints ``secrets`` (name -> secret); each tracks ``branches[name]`` or main.

    Raises :class:`ConfigError` when an endpoint has no secret: none is served unauthenticated.
    """
    plain = {name: s.get_secret_value() if isinstance(s, SecretStr) else s for name, s in secrets.items()}
    if empty := sorted(name for name, value in plain.items() if not value):
        raise ConfigError(
            f"webhook endpoint(s) {', '.join(empty)} have no secret",
            hint="set webhook_secret (from outside git) or disable webhook_enabled",
        )
    tracked = {name: (branches or {}).get(name, "main") for name in plain}
    cfg = limits or WebhookLimits()
    log = DeliveryLog(cfg.delivery_capacity, recorder)
    limiter = SourceLimiter(cfg.max_requests_per_window, cfg.max_failures_per_window, cfg.window_seconds)
    coalescer = Coalescer(handler, log, cfg.debounce_seconds, cfg.max_delay_seconds)
    proxies = trusted_proxies()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await coalescer.aclose()

    app = FastAPI(title="fleetflow webhooks", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.deliveries = log

    @app.post("/webhook/{provider}/{name}")
    async def receive(provider: str, name: str, request: Request) -> JSONResponse:
        source = client_address(request.client.host if request.client else None, request.headers, proxies)

        def answer(
            status: DeliveryStatus, http: int, reason: str = "", push: Push | None = None
        ) -> JSONResponse:
            delivery = log.put(
                Delivery(
                    id=(push.delivery_id if push and push.delivery_id else new_delivery_id()),
                    endpoint=name,
                    provider=provider,
                    status=status,
                    http_status=http,
                    reason=reason,
                    source=source,
                    branch=push.branch if push else None,
                    commit=push.commit if push else None,
                )
            )
            body = {"delivery_id": delivery.id, "status": delivery.status.value, "reason": reason}
            return JSONResponse(body, status_code=http)

        try:
            if (why := limiter.allow(source)) is not None:
                raise Rejected(429, why)
            kind = _provider(provider)
            secret = plain.get(name)
            if secret is None:
                raise Rejected(404, f"no webhook endpoint {name!r} (unknown, or webhook_enabled is off)")
            body = await _read_body(request, cfg.max_body_bytes)
            verify(kind, request.headers, body, secret)
            push = parse(kind, request.headers, body)
        except Rejected as error:
            if error.status != 429:
                limiter.failed(source)
            return answer(DeliveryStatus.REJECTED, error.status, error.reason)
        if push.delivery_id and log.seen(push.delivery_id):
            reason = f"delivery {push.delivery_id} was already received"
            return answer(DeliveryStatus.DUPLICATE, 200, reason)
        ignored = _ignore_reason(push.is_push, push.event, push.branch, push.commit, tracked[name])
        if ignored:
            return answer(DeliveryStatus.IGNORED, 200, ignored, push)
        if push.delivery_id is None:
            push = replace(push, delivery_id=new_delivery_id())
        response = answer(DeliveryStatus.QUEUED, 202, "", push)
        coalescer.submit(name, str(push.delivery_id), tracked[name], push.commit)
        return response

    @app.get("/webhook/deliveries/{delivery_id}")
    async def delivery(delivery_id: str) -> JSONResponse:
        found = log.get(delivery_id)
        if found is None:
            return JSONResponse({"detail": f"no delivery {delivery_id}"}, status_code=404)
        return JSONResponse(found.model_dump(mode="json"))

    return app


def _provider(value: str) -> Provider:
    try:
        return Provider(value)
    except ValueError:
        known = ", ".join(p.value for p in Provider)
        raise Rejected(404, f"unknown provider {value!r}; use one of {known}") from None


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise Rejected(413, f"body of {declared} bytes exceeds the {limit}-byte limit")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Rejected(413, f"body exceeds the {limit}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


def _ignore_reason(is_push: bool, event: str, branch: str | None, commit: str | None, tracked: str) -> str:
    if not is_push:
        return f"event {event or '(none)'!r} is not a push"
    if branch != tracked:
        return f"push to {branch or 'a tag'!r}, this endpoint tracks {tracked!r}"
    if commit == ZERO_SHA:
        return f"branch {branch!r} was deleted"
    return ""
