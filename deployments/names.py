"""Names of fleetflow's Prefect deployments (``flow-name/deployment-name``), in one place.

Per host (on pool ``host-<server>``): ``deploy-stack/host-<server>``,
``stack-action/host-<server>``, ``health-check/host-<server>``.
Core (on pool ``fleetflow-core``): ``poll-repo/<sync>``, ``sync-resources/<sync>``,
``health-check/fleet``, ``backup-snapshot/daily``.
"""

from __future__ import annotations

from fleetflow.agent import pool_name


def deploy_stack(server: str) -> str:
    """Deploys one stack on ``server``."""
    return f"deploy-stack/{pool_name(server)}"


def stack_action(server: str) -> str:
    """Start/stop/restart/pull/destroy on ``server``."""
    return f"stack-action/{pool_name(server)}"


def host_health(server: str) -> str:
    """Host facts of ``server``."""
    return f"health-check/{pool_name(server)}"


def poll_repo(sync: str) -> str:
    """Polls the repository of resource sync ``sync``."""
    return f"poll-repo/{sync}"


def sync_resources(sync: str) -> str:
    """Applies resource sync ``sync`` (ad hoc, from the API or UI)."""
    return f"sync-resources/{sync}"


FLEET_HEALTH = "health-check/fleet"
BACKUP = "backup-snapshot/daily"
