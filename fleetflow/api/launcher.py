"""Starting flow runs: a small interface, the Prefect implementation, and links to the UI.

The API only ever calls :meth:`Launcher.launch`; tests hand in a fake. The
Prefect launcher creates a run of a registered deployment and returns at
once (``timeout=0``): the caller follows it in the Prefect UI.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol
from uuid import UUID

import httpx
from pydantic import BaseModel, ConfigDict

from fleetflow.errors import ComponentUnavailable, FleetflowError
from fleetflow.runtime.prefect_api import prefect_api_error


class LaunchedRun(BaseModel):
    """A flow run the API started, and where to watch it."""

    model_config = ConfigDict(frozen=True)

    flow_run_id: str
    url: str


class DeploymentMissing(FleetflowError):
    """The Prefect deployment to run is not registered."""


class Launcher(Protocol):
    """Starts a run of a Prefect deployment (``flow-name/deployment-name``)."""

    async def launch(
        self, deployment: str, parameters: Mapping[str, Any], *, tags: Sequence[str]
    ) -> LaunchedRun: ...


def ui_base() -> str:
    """The Prefect UI root: PREFECT_UI_URL, else the API URL without ``/api``, else the local default."""
    from prefect.settings import get_current_settings

    settings = get_current_settings()
    if settings.ui_url:
        return str(settings.ui_url).rstrip("/")
    api = str(settings.api.url or "").rstrip("/")
    return api.removesuffix("/api") if api else "http://127.0.0.1:4200"


def flow_run_url(flow_run_id: UUID | str, base: str | None = None) -> str:
    """Link to one flow run in the Prefect UI."""
    return f"{(base or ui_base()).rstrip('/')}/runs/flow-run/{flow_run_id}"


class PrefectLauncher:
    """Creates flow runs through the Prefect API named by the Prefect settings."""

    async def launch(
        self, deployment: str, parameters: Mapping[str, Any], *, tags: Sequence[str]
    ) -> LaunchedRun:
        from prefect.deployments import arun_deployment
        from prefect.exceptions import ObjectNotFound

        try:
            run = await arun_deployment(
                name=deployment, parameters=dict(parameters), tags=list(tags), timeout=0, as_subflow=False
            )
        except ObjectNotFound as exc:
            raise DeploymentMissing(
                f"Prefect deployment {deployment!r} is not registered",
                hint="Run `fleetflow deploy` (or let a sync register its servers) and try again.",
            ) from exc
        except (httpx.HTTPError, OSError) as exc:
            refused = prefect_api_error(exc, f"starting {deployment!r}")
            if refused is not None:
                raise refused from exc
            raise ComponentUnavailable(
                f"Prefect API unreachable while starting {deployment!r}: {type(exc).__name__}",
                hint="Check that the Prefect server is running and PREFECT_API_URL points at it.",
            ) from exc
        return LaunchedRun(flow_run_id=str(run.id), url=flow_run_url(run.id))
