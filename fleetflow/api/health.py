"""``GET /healthz`` for Uptime Kuma-style probes: the store, the Prefect API and the last poll.

200 when the store answers, Prefect answers and (if a limit is set) the last
poll is recent enough; 503 otherwise. No auth, no secrets in the body.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import httpx
from pydantic import BaseModel, ConfigDict

from fleetflow.api.sources import sync_source
from fleetflow.errors import FleetflowError
from fleetflow.git import redact_url
from fleetflow.runtime.prefect_api import AUTH_HINT, auth_headers
from fleetflow.store import StateStore

PrefectProbe = Callable[[], Awaitable[str | None]]

log = logging.getLogger(__name__)


class Check(BaseModel):
    """One check: whether it passed, and why not."""

    model_config = ConfigDict(frozen=True)

    ok: bool
    detail: str = ""


class Health(BaseModel):
    """The ``/healthz`` body."""

    model_config = ConfigDict(frozen=True)

    status: str
    store: Check
    prefect: Check
    poll: Check
    last_poll_age_seconds: float | None = None


def prefect_probe(api_url: str | None = None, timeout_s: float = 2.0) -> PrefectProbe:
    """GET ``<PREFECT_API_URL>/admin/version`` with fleetflow's credentials; None when it answers 200.

    Not ``/health``: Prefect answers that one without credentials, so it would
    stay green while a wrong PREFECT_API_AUTH_STRING makes every launch fail.
    """

    async def probe() -> str | None:
        url = api_url
        if url is None:
            from prefect.settings import get_current_settings

            url = get_current_settings().api.url
        if not url:
            return "PREFECT_API_URL is not set"
        try:
            async with httpx.AsyncClient(timeout=timeout_s, headers=auth_headers()) as client:
                response = await client.get(f"{str(url).rstrip('/')}/admin/version")
        except httpx.HTTPError as exc:
            return f"{redact_url(str(url))} unreachable: {type(exc).__name__}"
        if response.status_code in (401, 403):
            return f"refused fleetflow's credentials (HTTP {response.status_code}): {AUTH_HINT}"
        return None if response.status_code == 200 else f"answered HTTP {response.status_code}"

    return probe


def last_poll(store: StateStore) -> datetime | None:
    """When a sync's repository was last seen to move or a sync last ran (None: never)."""
    seen: list[datetime] = []
    for record in store.list_resources("resource_sync"):
        runs = store.sync_runs(record.name, limit=1)
        if runs:
            seen.append(runs[0].started)
        try:
            source = sync_source(store, record.name)
        except FleetflowError:
            continue
        cursor = store.get_repo_cursor(redact_url(source.repo), source.branch)
        if cursor is not None:
            seen.append(cursor.updated)
    return max(seen) if seen else None


def store_check(store: StateStore) -> tuple[Check, float | None]:
    """Whether the store answers, and the last poll's age in seconds (blocking)."""
    try:
        when = last_poll(store)
        store.get_tokens()  # what every authenticated call reads first
    except FleetflowError as exc:  # unauthenticated callers see no paths or URLs
        log.warning("health: state DB check failed: %s", exc)
        return Check(ok=False, detail=f"the state DB cannot be read ({type(exc).__name__})"), None
    age = None if when is None else max(0.0, (datetime.now(UTC) - when).total_seconds())
    return Check(ok=True), age


def verdict(store: Check, prefect: Check, age: float | None, max_poll_age_s: float | None) -> Health:
    """Combine the checks; stale polling fails only when ``max_poll_age_s`` is set."""
    if age is None:
        poll = Check(ok=True, detail="no poll recorded yet")
    elif max_poll_age_s is not None and age > max_poll_age_s:
        poll = Check(ok=False, detail=f"last poll {age:.0f} s ago exceeds {max_poll_age_s:.0f} s")
    else:
        poll = Check(ok=True)
    ok = store.ok and prefect.ok and poll.ok
    return Health(
        status="ok" if ok else "unavailable",
        store=store,
        prefect=prefect,
        poll=poll,
        last_poll_age_seconds=age,
    )
