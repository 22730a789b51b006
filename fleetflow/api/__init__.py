"""fleetflow's HTTP API: endpoints, API tokens and roles, health and metrics (one ASGI app).

Names are imported on first use, so ``fleetflow token ...`` (which needs only
``fleetflow.api.tokens``) does not load FastAPI and Prefect at CLI start-up.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fleetflow.api.app import create_api_app
    from fleetflow.api.launcher import LaunchedRun, Launcher, PrefectLauncher, flow_run_url
    from fleetflow.api.tokens import (
        Role,
        TokenInfo,
        TokenVerifier,
        create_token,
        list_tokens,
        revoke_token,
    )

_HOMES = {
    "create_api_app": "app",
    "LaunchedRun": "launcher",
    "Launcher": "launcher",
    "PrefectLauncher": "launcher",
    "flow_run_url": "launcher",
    "Role": "tokens",
    "TokenInfo": "tokens",
    "TokenVerifier": "tokens",
    "create_token": "tokens",
    "list_tokens": "tokens",
    "revoke_token": "tokens",
}

__all__ = [
    "LaunchedRun",
    "Launcher",
    "PrefectLauncher",
    "Role",
    "TokenInfo",
    "TokenVerifier",
    "create_api_app",
    "create_token",
    "flow_run_url",
    "list_tokens",
    "revoke_token",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'fleetflow.api' has no attribute {name!r}")
    return getattr(import_module(f"fleetflow.api.{_HOMES[name]}"), name)
