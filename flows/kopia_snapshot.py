"""``kopia-snapshot``: snapshot the dumps, stack dirs and chosen volumes into a Kopia repository.

Connects to (or creates on first use) the configured repository, sets Kopia's
retention to the dumps' daily/weekly/monthly counts, snapshots each folder and
verifies the repository. The password comes from ``FLEETFLOW_BACKUP_KOPIA_PASSWORD``
or a Prefect Secret block and reaches Kopia only through its environment.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger

from fleetflow.backup import SnapshotResult
from fleetflow.backup.config import load_backup_settings
from fleetflow.runtime import context
from tasks.backup import open_repository, set_kopia_retention, snapshot_paths, verify_repository


def snapshot_row(snap: SnapshotResult) -> dict[str, Any]:
    """One snapshot as plain JSON."""
    return {
        "id": snap.id,
        "source": str(snap.source),
        "files": snap.files,
        "dirs": snap.dirs,
        "bytes": snap.size,
        "seconds": snap.duration_seconds,
    }


@flow(name="kopia-snapshot", log_prints=False)
def kopia_snapshot(description: str = "fleetflow backup") -> dict[str, Any]:
    """Snapshot the backup folders; returns the repository action, snapshots, policy and verify stats."""
    logger = get_run_logger()
    settings = context.settings()
    backup = load_backup_settings()
    backend, options = backup.kopia_repository()
    paths, notes = backup.snapshot_paths(settings)
    for note in notes:
        logger.info(note)
    kopia = backup.kopia_client(settings)
    action = open_repository(kopia, backend, options)
    policy = set_kopia_retention(kopia, backup)
    snapshots = snapshot_paths(kopia, paths, description) if paths else []
    verified = verify_repository(kopia, backup.verify_percent)
    return {
        "repository": action.value,
        "snapshots": [snapshot_row(s) for s in snapshots],
        "policy": policy.model_dump(exclude_none=True),
        "verify": verified.model_dump(),
    }
