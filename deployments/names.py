"""Names of fleetflow's Prefect deployments: they live in :mod:`fleetflow.runtime.names` (a lower layer)."""

from __future__ import annotations

from fleetflow.runtime.names import (
    BACKUP,
    FLEET_HEALTH,
    SERVE,
    DeploymentNames,
    deploy_stack,
    host_health,
    poll_repo,
    stack_action,
    sync_resources,
)

__all__ = [
    "BACKUP",
    "FLEET_HEALTH",
    "SERVE",
    "DeploymentNames",
    "deploy_stack",
    "host_health",
    "poll_repo",
    "stack_action",
    "sync_resources",
]
