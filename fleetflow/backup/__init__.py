"""Backups: Mongo dumps in mongodump's layout, their retention, and a Kopia CLI wrapper.

Plain functions with typed inputs and frozen results, ready to wrap in Prefect tasks.
"""

from fleetflow.backup.dump import CollectionDump, DumpProgress, DumpResult, dump_database
from fleetflow.backup.kopia import Kopia
from fleetflow.backup.kopia_models import (
    BackupCommandFailed,
    RepositoryAction,
    RetentionPolicy,
    SnapshotResult,
    VerifyResult,
)
from fleetflow.backup.kopia_models import RestoreResult as KopiaRestoreResult
from fleetflow.backup.layout import DumpDir, list_dumps
from fleetflow.backup.manifest import verify_manifest, write_manifest
from fleetflow.backup.mongodump_tool import DumpTool
from fleetflow.backup.redact import mask_url
from fleetflow.backup.restore import RestoreResult, restore_dump
from fleetflow.backup.retention import RetentionOutcome, RetentionPlan, apply_retention, plan_retention

__all__ = [
    "BackupCommandFailed",
    "CollectionDump",
    "DumpDir",
    "DumpProgress",
    "DumpResult",
    "DumpTool",
    "Kopia",
    "KopiaRestoreResult",
    "RepositoryAction",
    "RestoreResult",
    "RetentionOutcome",
    "RetentionPlan",
    "RetentionPolicy",
    "SnapshotResult",
    "VerifyResult",
    "apply_retention",
    "dump_database",
    "list_dumps",
    "mask_url",
    "plan_retention",
    "restore_dump",
    "verify_manifest",
    "write_manifest",
]
