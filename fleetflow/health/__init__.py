"""Fleet health: host facts (observe -> pure parse), drift, image updates, fleet roll-up."""

from fleetflow.health.collect import Target, collect_facts, collect_fleet
from fleetflow.health.drift import DriftKind, DriftRow, Expected, find_drift, stacks_to_heal
from fleetflow.health.models import Container, ContainerState, HostFacts, Mount
from fleetflow.health.registry import ImageRef, RegistryClient, parse_ref
from fleetflow.health.rollup import fleet_rows
from fleetflow.health.updates import ImageCheck, UpdateStatus, check_updates

__all__ = [
    "Container",
    "ContainerState",
    "DriftKind",
    "DriftRow",
    "Expected",
    "HostFacts",
    "ImageCheck",
    "ImageRef",
    "Mount",
    "RegistryClient",
    "Target",
    "UpdateStatus",
    "check_updates",
    "collect_facts",
    "collect_fleet",
    "find_drift",
    "fleet_rows",
    "parse_ref",
    "stacks_to_heal",
]
