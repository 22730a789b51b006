"""fleetflow's HTTP API: endpoints, API tokens and roles, health and metrics (one ASGI app)."""

from fleetflow.api.app import create_api_app
from fleetflow.api.launcher import LaunchedRun, Launcher, PrefectLauncher, flow_run_url
from fleetflow.api.tokens import Role, TokenInfo, TokenVerifier, create_token, list_tokens, revoke_token

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
