"""backup-snapshot, mongo-dump, kopia-snapshot and the backup/restore CLI on FerretDB, Kopia and Prefect."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil
import pymongo
import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey, ArtifactFilterType
from pydantic import SecretStr
from typer.testing import CliRunner

from fleetflow.backup import Kopia, dump_database, list_dumps, verify_manifest
from fleetflow.backup.config import BackupSettings, dumps_root, source_from_url
from fleetflow.cli.backup import backup_app, restore_app
from fleetflow.errors import ConfigError
from fleetflow.runtime import context
from fleetflow.settings import Settings
from flows.backup_snapshot import ALERT_KEY, backup_snapshot
from flows.health_check import health_check
from tests.support.receiver import json_receiver

pytestmark = [pytest.mark.mongo, pytest.mark.kopia, pytest.mark.prefect]
PASSWORD = "kopia-Pw-7f3e9a-never-shown"
FLEET_BACKUP = "health:fleet:backup:snapshot"
NOW = datetime(2030, 5, 20, 3, 0, 0, tzinfo=UTC)
DOCS = [{"_id": i, "name": f"stack-{i}", "tags": ["a", "b"][: i % 3], "n": i * 1.5} for i in range(40)]


@dataclass(frozen=True)
class Bed:
    home: Path
    backups: Path
    url: str
    database: str
    label: str
    repo: Path


class Capture(logging.Handler):
    """Every record logged under ``prefect`` and ``fleetflow`` (Prefect does not always propagate)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture(scope="module")
def capture() -> Iterator[Capture]:
    handler = Capture()
    loggers = [logging.getLogger(n) for n in ("prefect", "fleetflow", "")]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler
    for logger in loggers:
        logger.removeHandler(handler)


class ProcessWatch:
    """Command lines of kopia processes seen while a block runs (polled in a thread)."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.seen: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        for _ in range(1_000_000):
            if self._stop.is_set():
                return
            for proc in psutil.process_iter(["cmdline"]):
                cmdline = proc.info["cmdline"] or []
                if cmdline and cmdline[0] == self.binary:
                    self.seen.append(" ".join(cmdline))

    def __enter__(self) -> ProcessWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def mongo(url: str) -> pymongo.MongoClient[dict[str, Any]]:
    return pymongo.MongoClient(url, serverSelectionTimeoutMS=5000)


def configure(mp: pytest.MonkeyPatch, bed: Bed, password: str = PASSWORD) -> None:
    """Point fleetflow at the test bed: embedded store, one extra database on FerretDB, Kopia on disk."""
    env = {
        "FLEETFLOW_HOME": str(bed.home),
        "FLEETFLOW_BACKUP_ROOT": str(bed.backups),
        "FLEETFLOW_BACKUP_MONGO_URLS": bed.url,
        "FLEETFLOW_BACKUP_KOPIA_REPO_PATH": str(bed.repo),
        "FLEETFLOW_BACKUP_KOPIA_PASSWORD": password,
        "FLEETFLOW_BACKUP_KEEP_DAILY": "2",
        "FLEETFLOW_BACKUP_KEEP_WEEKLY": "0",
        "FLEETFLOW_BACKUP_KEEP_MONTHLY": "0",
        "FLEETFLOW_BACKUP_DUMP_TOOL": "pymongo",
        "FLEETFLOW_BACKUP_VERIFY_PERCENT": "100",
    }
    for key, value in env.items():
        mp.setenv(key, value)
    mp.delenv("FLEETFLOW_STORE_URL", raising=False)
    context.reset()


def make_bed(root: Path, mongodb_url: str, kopia_bin: str) -> Bed:
    database = f"ffbk_{uuid.uuid4().hex[:10]}"
    url = f"{mongodb_url.rstrip('/')}/{database}"
    with mongo(url) as client:
        client[database]["stacks"].insert_many(DOCS)
        client[database]["stacks"].create_index("name", unique=True)
        client[database]["cursors"].insert_one({"_id": "main", "commit": "abc123"})
    stack = root / "home" / "stacks" / "web"
    stack.mkdir(parents=True)
    (stack / "compose.yaml").write_text("services:\n  web:\n    image: fleetflow/busybox\n")
    return Bed(
        root / "home", root / "backups", url, database, source_from_url(url).label, root / "kopia-repo"
    )


@pytest.fixture(scope="module")
def ran(
    tmp_path_factory: pytest.TempPathFactory,
    mongodb_url: str,
    kopia_bin: str,
    prefect_harness: None,
    capture: Capture,
) -> Iterator[dict[str, Any]]:
    """Three old dumps, then a dry run and a real backup-snapshot run."""
    bed = make_bed(tmp_path_factory.mktemp("backup-flows"), mongodb_url, kopia_bin)
    with pytest.MonkeyPatch.context() as mp:
        configure(mp, bed)
        mp.setenv("FLEETFLOW_BACKUP_KOPIA_BIN", kopia_bin)
        root = bed.backups / "mongo" / bed.label
        old = [
            dump_database(bed.url, bed.database, root, now=NOW - timedelta(days=d)).path for d in (3, 2, 1)
        ]
        dry = backup_snapshot(dry_run=True)
        after_dry = sorted(p.name for p in root.iterdir())
        with ProcessWatch(kopia_bin) as watch:
            report = backup_snapshot(now=NOW)
        yield {
            "ps": watch.seen,
            "bed": bed,
            "old": old,
            "dry": dry,
            "after_dry": after_dry,
            "report": report,
            "mp": mp,
        }
        context.reset()
    with mongo(mongodb_url) as client:
        client.drop_database(bed.database)
        client.drop_database(f"{bed.database}_r")


def test_dry_run_lists_retention_and_changes_nothing(ran: dict[str, Any]) -> None:
    dry, bed, old = ran["dry"], ran["bed"], ran["old"]
    assert dry["dry_run"] is True
    assert dry["dumps"] == [{"label": bed.label, "source": bed.url, "database": bed.database}]
    would = [(r["dump"], r["action"]) for r in dry["retention"] if r["action"] != "keep"]
    assert would == [(old[0].name, "would delete")]
    assert ran["after_dry"] == [p.name for p in old]  # nothing deleted, nothing dumped
    assert any("embedded store" in note for note in dry["notes"])


def test_run_dumps_prunes_and_snapshots(ran: dict[str, Any]) -> None:
    report, bed, old = ran["report"], ran["bed"], ran["old"]
    (dump,) = report["dumps"]
    path = Path(dump["path"])
    assert path.name == "2030-05-20T030000Z"
    assert (path / "MANIFEST.sha256").is_file()
    assert verify_manifest(path) >= 5  # two collections (data + metadata) and dump.json
    assert (dump["documents"], dump["collections"]) == (41, 2)
    # keep_daily=2: today's and yesterday's dumps stay; the two older ones went.
    assert [d.path for d in list_dumps(path.parent)] == [old[2], path]
    deleted = sorted(r["dump"] for r in report["retention"] if r["action"] == "deleted")
    assert deleted == sorted([old[0].name, old[1].name])
    snaps = report["kopia"]["snapshots"]
    sources = {Path(s["source"]) for s in snaps}
    assert sources == {
        (bed.backups / "mongo").resolve(),
        (bed.home / "stacks").resolve(),
        (bed.home / "state").resolve(),
    }
    assert all(len(s["id"]) >= 16 for s in snaps)
    assert report["kopia"]["repository"] == "created"
    assert report["kopia"]["policy"]["keep_daily"] == 2
    assert report["kopia"]["verify"]["errors"] == 0


def test_run_is_recorded_artifact_written_and_no_secret_leaks(ran: dict[str, Any], capture: Capture) -> None:
    report = ran["report"]
    store = context.store()
    (record,) = [r for r in store.audit_log() if r.action == "backup"]
    assert [s["id"] for s in record.detail["snapshots"]] == [s["id"] for s in report["kopia"]["snapshots"]]
    assert ALERT_KEY not in {a.dedup_key for a in store.open_alerts()}
    assert not store.contains_text(PASSWORD)
    with get_client(sync_client=True) as client:
        (artifact,) = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["backup"]))
        )
    text = str(artifact.data)
    assert all(s["id"] in text for s in report["kopia"]["snapshots"])
    assert report["dumps"][0]["path"] in text
    assert PASSWORD not in text
    assert any("dumping database" in line for line in capture.lines)  # the capture sees the run logs
    assert not [line for line in capture.lines if PASSWORD in line]
    assert any(" snapshot create " in cmd for cmd in ran["ps"]), "no kopia process was observed"
    assert not [cmd for cmd in ran["ps"] if PASSWORD in cmd]


def test_dump_progress_artifact_reaches_100(ran: dict[str, Any]) -> None:
    with get_client(sync_client=True) as client:
        progress = client.read_artifacts(
            artifact_filter=ArtifactFilter(type=ArtifactFilterType(any_=["progress"]))
        )
    dumping = [a for a in progress if "dumping 1 database" in (a.description or "")]
    assert dumping
    assert all(a.data == 100.0 for a in dumping)


def test_cli_dry_run_prints_the_plan(ran: dict[str, Any]) -> None:
    bed = ran["bed"]
    result = CliRunner(env={"COLUMNS": "250"}).invoke(backup_app, ["run", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert bed.label in result.output
    assert str(bed.backups / "mongo") in result.output
    assert sorted(p.name for p in (bed.backups / "mongo" / bed.label).iterdir()) == [
        ran["old"][2].name,
        "2030-05-20T030000Z",
    ]


def test_cli_lists_and_restores_mongo_and_files(ran: dict[str, Any], tmp_path: Path) -> None:
    report, bed = ran["report"], ran["bed"]
    runner = CliRunner(env={"COLUMNS": "250"})
    listed = runner.invoke(backup_app, ["list"])
    assert listed.exit_code == 0, listed.output
    assert "2030-05-20T030000Z" in listed.output
    assert report["kopia"]["snapshots"][0]["id"] in listed.output

    target = f"{bed.url}_r"
    dump = report["dumps"][0]["path"]
    done = runner.invoke(restore_app, ["mongo", "--from", dump, "--to", target])
    assert done.exit_code == 0, done.output
    assert "restored 41 documents in 2 collections" in done.output
    with mongo(target) as client:
        assert list(client[f"{bed.database}_r"]["stacks"].find({}, sort=[("_id", 1)])) == DOCS
    again = runner.invoke(restore_app, ["mongo", "--from", dump, "--to", target])
    assert again.exit_code == 1
    assert "not empty" in again.output
    assert runner.invoke(restore_app, ["mongo", "--from", dump, "--to", target, "--drop"]).exit_code == 0

    (dumps_snap,) = [s for s in report["kopia"]["snapshots"] if s["source"].endswith("/mongo")]
    out = tmp_path / "files"
    restored = runner.invoke(restore_app, ["files", "--snapshot", dumps_snap["id"], "--to", str(out)])
    assert restored.exit_code == 0, restored.output
    assert verify_manifest(out / bed.label / Path(dump).name) >= 5  # byte-identical by its checksums
    refused = runner.invoke(restore_app, ["files", "--snapshot", dumps_snap["id"], "--to", str(out)])
    assert refused.exit_code == 1
    assert "not empty" in refused.output


def test_wrong_kopia_password_fails_the_flow_and_opens_an_alert(
    tmp_path: Path, mongodb_url: str, kopia_bin: str, prefect_harness: None, capture: Capture
) -> None:
    bed = make_bed(tmp_path, mongodb_url, kopia_bin)
    Kopia(kopia_bin, tmp_path / "other-client", password=SecretStr(PASSWORD)).connect_or_create_filesystem(
        bed.repo
    )
    wrong = "wrong-Pw-0d41c7-never-shown"
    try:
        with pytest.MonkeyPatch.context() as mp:
            configure(mp, bed, password=wrong)
            mp.setenv("FLEETFLOW_BACKUP_KOPIA_BIN", kopia_bin)
            state = backup_snapshot(now=NOW, return_state=True)
            assert state.is_failed()
            assert "invalid repository password" in str(state.message)
            (alert,) = [a for a in context.store().open_alerts() if a.dedup_key == ALERT_KEY]
            assert "backup-snapshot failed" in alert.message
            assert "check the repository password" in alert.message
            assert wrong not in alert.message
            assert not context.store().contains_text(wrong)
            assert list_dumps(dumps_root(context.settings()) / bed.label)  # the dump itself was kept

            # the next health round turns it into a fleet alert and sends it; a good backup resolves it
            with json_receiver() as receiver:
                mp.setenv("FLEETFLOW_APPRISE_URLS", json.dumps([receiver.url]))
                context.reset()
                round_ = asyncio.run(health_check(servers=[], check_updates=False))
                assert {"key": FLEET_BACKUP, "kind": "opened"}.items() <= round_["alerts"][0].items()
                (sent,) = receiver.posts
                assert "backup snapshot failed: BackupCommandFailed" in sent["message"]
                assert wrong not in json.dumps(sent)
                context.store().resolve_alert(ALERT_KEY)  # what a good run does
                cleared = asyncio.run(health_check(servers=[], check_updates=False))
                assert [(e["key"], e["kind"]) for e in cleared["alerts"]] == [(FLEET_BACKUP, "resolved")]
                assert len(receiver.posts) == 2
        assert not [line for line in capture.lines if wrong in line or PASSWORD in line]
    finally:
        context.reset()
        with mongo(mongodb_url) as client:
            client.drop_database(bed.database)


def test_settings_parse_lists_and_refuse_bad_config(tmp_path: Path) -> None:
    backup = BackupSettings(
        mongo_urls="mongodb://u:pw@db.lan:27017/komodo, mongodb://127.0.0.1/other",  # type: ignore[arg-type]
        volume_paths=str(tmp_path),  # type: ignore[arg-type]
        kopia_repo_path=None,
        kopia_options=[],
        kopia_password=None,
        kopia_password_block=None,
    )
    settings = Settings(home=tmp_path / "home", store_url=SecretStr("mongodb://127.0.0.1:27117"))
    sources, note = backup.sources(settings)
    assert [(s.label, s.database) for s in sources] == [
        ("fleetflow", "fleetflow"),
        ("db.lan-27017-komodo", "komodo"),
        ("127.0.0.1-other", "other"),
    ]
    assert note == ""
    assert sources[1].shown == "mongodb://u:***@db.lan:27017/komodo"
    with pytest.raises(ConfigError, match="names no database"):
        source_from_url("mongodb://u:pw@db.lan:27017")
    with pytest.raises(ConfigError, match="no Kopia repository configured"):
        backup.kopia_repository()
    with pytest.raises(ConfigError, match="no Kopia repository password"):
        backup.resolve_password()
    inside = backup.model_copy(update={"kopia_repo_path": tmp_path / "repo"})
    with pytest.raises(ConfigError, match="inside a folder it would snapshot"):
        inside.snapshot_paths(settings)
    with pytest.raises(ConfigError, match="do not exist"):
        backup.model_copy(update={"volume_paths": [tmp_path / "nope"]}).snapshot_paths(settings)


def test_password_from_a_prefect_secret_block(prefect_harness: None) -> None:
    from prefect.blocks.system import Secret

    name = f"ff-kopia-{uuid.uuid4().hex[:8]}"
    Secret(value=SecretStr(PASSWORD)).save(name)
    backup = BackupSettings(kopia_password=None, kopia_password_block=name)
    assert backup.resolve_password().get_secret_value() == PASSWORD
    with pytest.raises(ConfigError, match="not found"):
        BackupSettings(kopia_password=None, kopia_password_block=f"{name}-missing").resolve_password()
