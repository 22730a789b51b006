"""fleetflow's state store (see :mod:`fleetflow.store.store`)."""

from fleetflow.store.backend import mask_url
from fleetflow.store.leases import LeaseHeld
from fleetflow.store.models import (
    AlertRecord,
    AuditRecord,
    BackendKind,
    DeployRecord,
    DeployStatus,
    HealthSample,
    LeaseRecord,
    RepoCursor,
    ResourceRecord,
    Severity,
    SyncOutcome,
    SyncRunRecord,
    TokenRecord,
    WebhookRecord,
)
from fleetflow.store.schema import SCHEMA_VERSION
from fleetflow.store.store import StateStore, open_store

__all__ = [
    "SCHEMA_VERSION",
    "AlertRecord",
    "AuditRecord",
    "BackendKind",
    "DeployRecord",
    "DeployStatus",
    "HealthSample",
    "LeaseHeld",
    "LeaseRecord",
    "RepoCursor",
    "ResourceRecord",
    "Severity",
    "StateStore",
    "SyncOutcome",
    "SyncRunRecord",
    "TokenRecord",
    "WebhookRecord",
    "mask_url",
    "open_store",
]
