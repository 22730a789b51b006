"""Names of fleetflow's Prefect deployments and pools (``flow-name/deployment-name``), in one place.

Per host (on pool ``host-<server>``): ``deploy-stack/host-<server>``,
``stack-action/host-<server>``, ``health-check/host-<server>``.
Core (on pool ``fleetflow-core``): ``poll-repo/<sync>``, ``sync-resources/<sync>``,
``health-check/fleet``, ``backup-snapshot/daily``.
Under ``fleetflow serve`` (one process, no pools) every host shares
``deploy-stack/serve`` and ``stack-action/serve``: see :class:`DeploymentNames`.
"""

from __future__ import annotations

from dataclasses import dataclass

from fleetflow.agent import pool_name

SERVE = "serve"


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


@dataclass(frozen=True)
class DeploymentNames:
    """Which deployment runs what: per-host pools on a fleet, one in-process set under ``serve``."""

    serve: bool = False

    def deploy_stack(self, server: str) -> str:
        return f"deploy-stack/{SERVE}" if self.serve else deploy_stack(server)

    def stack_action(self, server: str) -> str:
        return f"stack-action/{SERVE}" if self.serve else stack_action(server)

    def sync_resources(self, sync: str) -> str:
        return sync_resources(sync)
