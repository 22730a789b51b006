"""Talking to the Prefect API: its credentials and its refusals as fleetflow errors.

Prefect OSS protects its API with one shared string: the server sets
``PREFECT_SERVER_API_AUTH_STRING`` and every client (``fleetflow deploy``, the
agents, the HTTP API's launcher) sends ``PREFECT_API_AUTH_STRING`` as HTTP
Basic credentials. Prefect's client does that by itself; this module turns a
refusal or an unreachable server into one :class:`ComponentUnavailable` that
says which setting to fix, without ever repeating the string.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from fleetflow.errors import ComponentUnavailable

AUTH_HINT = (
    "Set PREFECT_API_AUTH_STRING to the value of the server's PREFECT_SERVER_API_AUTH_STRING "
    "(user:password) in this process's environment."
)


def auth_headers() -> dict[str, str]:
    """The ``Authorization`` header Prefect's own client would send (empty without an auth string)."""
    from prefect.settings import get_current_settings

    secret = get_current_settings().api.auth_string
    value = secret.get_secret_value() if secret is not None else ""
    if not value:
        return {}
    return {"Authorization": "Basic " + base64.b64encode(value.encode()).decode()}


def prefect_api_error(exc: BaseException, doing: str) -> ComponentUnavailable | None:
    """The fleetflow error for a Prefect API failure while ``doing`` something; None if not one."""
    status = exc.response.status_code if isinstance(exc, httpx.HTTPStatusError) else None
    if status in (401, 403):
        credentials = "no credentials" if not auth_headers() else "the wrong credentials"
        return ComponentUnavailable(
            f"the Prefect API refused {doing} with HTTP {status}: fleetflow sent {credentials}",
            hint=AUTH_HINT,
        )
    if isinstance(exc, httpx.TransportError):
        return ComponentUnavailable(
            f"the Prefect API is unreachable while {doing}: {type(exc).__name__}",
            hint="Check that the Prefect server is running and PREFECT_API_URL points at its /api.",
        )
    return None


@contextmanager
def prefect_api(doing: str) -> Iterator[None]:
    """Re-raise Prefect's refusals and connection failures as :class:`ComponentUnavailable`."""
    try:
        yield
    except (httpx.HTTPStatusError, httpx.TransportError) as exc:
        error = prefect_api_error(exc, doing)
        if error is None:
            raise
        raise error from exc
