"""``backup-snapshot`` (daily): dump -> retention -> Kopia snapshot -> record -> alert on failure.

The alert is stored at once; the next health round turns it into the fleet
alert ``health:fleet:backup:snapshot`` and sends it to the apprise URLs.

``dry_run`` changes nothing: it lists what would be dumped, which old dumps
retention would delete and which folders Kopia would snapshot. Ad hoc::

    from flows.backup_snapshot import backup_snapshot
    backup_snapshot(dry_run=True)
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact

from fleetflow.alerts.models import BACKUP_ALERT, BACKUP_FAILED
from fleetflow.backup.config import BackupSettings, dumps_root, load_backup_settings
from fleetflow.errors import FleetflowError
from fleetflow.runtime import context
from fleetflow.settings import Settings
from fleetflow.store import AuditRecord, Severity
from flows.kopia_snapshot import kopia_snapshot
from flows.mongo_dump import mongo_dump
from tasks.backup import prune_dumps

ALERT_KEY = BACKUP_ALERT
ARTIFACT_KEY = "backup"


def _retention(settings: Settings, backup: BackupSettings, *, dry_run: bool) -> list[dict[str, Any]]:
    root = dumps_root(settings)
    labels = sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    return [row for label in labels for row in prune_dumps(root / label, backup, dry_run=dry_run)]


def _plan(settings: Settings, backup: BackupSettings) -> dict[str, Any]:
    """What a run would do, without doing it."""
    sources, note = backup.sources(settings)
    paths, notes = backup.snapshot_paths(settings) if backup.kopia_enabled else ([], [])
    return {
        "dry_run": True,
        "dumps": [{"label": s.label, "source": s.shown, "database": s.database} for s in sources],
        "notes": [n for n in [note, *notes] if n],
        "retention": _retention(settings, backup, dry_run=True),
        "kopia": {"paths": [str(p) for p in paths]},
    }


def _row(
    kind: str, what: str, where: str, size: Any = "", seconds: Any = "", ident: str = ""
) -> dict[str, Any]:
    return {"kind": kind, "what": what, "where": where, "bytes": size, "seconds": seconds, "id": ident}


def table_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``backup`` artifact: one row per dump, deleted dump and snapshot."""
    rows = [
        _row("dump", f"{d['label']}: {d['database']}", d["path"], d["bytes"], d["seconds"])
        for d in report.get("dumps", [])
    ]
    rows += [
        _row("retention", f"{r['source']}: {r['dump']}", r["action"])
        for r in report.get("retention", [])
        if r["action"] != "keep"
    ]
    rows += [
        _row("snapshot", f"{s['files']} files", s["source"], s["bytes"], s["seconds"], s["id"])
        for s in report.get("kopia", {}).get("snapshots", [])
    ]
    return rows


def _run(settings: Settings, backup: BackupSettings, now: datetime | None) -> dict[str, Any]:
    logger = get_run_logger()
    if backup.kopia_enabled:
        backup.kopia_repository()  # a missing repository fails before anything is written
        backup.resolve_password()
    dumps = mongo_dump(now=now)
    retention = _retention(settings, backup, dry_run=False)
    kopia: dict[str, Any] = {}
    if backup.kopia_enabled:
        stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H%M%SZ")
        kopia = kopia_snapshot(description=f"fleetflow backup {stamp}")
    else:
        logger.info("Kopia is disabled (FLEETFLOW_BACKUP_KOPIA_ENABLED=false): dumps stay local only")
    return {"dry_run": False, "dumps": dumps, "retention": retention, "kopia": kopia}


@flow(name="backup-snapshot", log_prints=False)
def backup_snapshot(dry_run: bool = False, now: datetime | None = None) -> dict[str, Any]:
    """Back up fleetflow's state (see the module docstring); returns what was saved."""
    logger = get_run_logger()
    settings = context.settings()
    backup = load_backup_settings()
    if dry_run:
        report = _plan(settings, backup)
        for row in report["retention"]:
            if row["action"] != "keep":
                logger.info("retention would delete %s/%s", row["source"], row["dump"])
        return report
    store = context.store()
    try:
        report = _run(settings, backup, now)
    except Exception as exc:
        message = f"{BACKUP_FAILED}{type(exc).__name__}: {exc}"
        logger.error(message)
        try:
            store.open_alert(ALERT_KEY, Severity.CRITICAL, message)
        except FleetflowError as alert_exc:  # keep the backup's own error as the flow's failure
            logger.error("could not open the backup alert: %s", alert_exc)
        raise
    snapshots = report["kopia"].get("snapshots", [])
    store.audit(
        AuditRecord(
            action="backup",
            actor="backup-snapshot",
            target=str(settings.backup_root),
            detail={
                "dumps": [
                    {k: d[k] for k in ("label", "path", "documents", "bytes")} for d in report["dumps"]
                ],
                "deleted": [
                    f"{r['source']}/{r['dump']}" for r in report["retention"] if r["action"] == "deleted"
                ],
                "snapshots": [{"id": s["id"], "source": s["source"], "bytes": s["bytes"]} for s in snapshots],
            },
        )
    )
    store.resolve_alert(ALERT_KEY)
    create_table_artifact(
        key=ARTIFACT_KEY,
        table=table_rows(report),
        description=f"backup: {len(report['dumps'])} dump(s), {len(snapshots)} Kopia snapshot(s)",
    )
    logger.info("backup done: %d dump(s), %d snapshot(s)", len(report["dumps"]), len(snapshots))
    return report
