"""The deploy engine: one stack on one host with Docker Compose v2.

``deploy`` runs the sequence and rolls back on failure, ``deploy_if_changed``
skips stacks whose fingerprint and containers match the last good deploy,
``run_action`` starts/stops/... a project, ``read_host_state`` reads what runs.
"""

from fleetflow.deploy.actions import run_action
from fleetflow.deploy.changes import deploy_if_changed, drift, why_deploy
from fleetflow.deploy.engine import deploy
from fleetflow.deploy.fingerprint import compute_fingerprint, inputs_digest, service_fingerprints
from fleetflow.deploy.history import DeployHistory, InMemoryHistory
from fleetflow.deploy.models import Action, DeployResult, DeploySpec, DeployStatus, Hook, ServiceState
from fleetflow.deploy.state import read_host_state

__all__ = [
    "Action",
    "DeployHistory",
    "DeployResult",
    "DeploySpec",
    "DeployStatus",
    "Hook",
    "InMemoryHistory",
    "ServiceState",
    "compute_fingerprint",
    "deploy",
    "deploy_if_changed",
    "drift",
    "inputs_digest",
    "read_host_state",
    "run_action",
    "service_fingerprints",
    "why_deploy",
]
