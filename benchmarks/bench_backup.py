"""Backup benchmarks: a 10k-document dump and restore on FerretDB, a 100 MB Kopia snapshot.

Run: ``python -m benchmarks.bench_backup`` (needs the test bed: FerretDB and kopia).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from pymongo import MongoClient
from rich.console import Console
from rich.table import Table

from fleetflow.backup import Kopia, dump_database, restore_dump

ROOT = Path(__file__).resolve().parents[1]
TESTBED = Path(os.environ.get("FF_TESTBED", ROOT / ".testbed" / "testbed.json"))
DOCS = 10_000
SNAPSHOT_MB = 100


def _row(name: str, value: float, unit: str, note: str) -> dict[str, object]:
    return {"benchmark": name, "value": round(value, 3), "unit": unit, "note": note}


def _bench_dump(url: str, work: Path) -> list[dict[str, object]]:
    name = f"ffbench_{uuid.uuid4().hex[:8]}"
    client: MongoClient[Any] = MongoClient(url, serverSelectionTimeoutMS=5000)
    try:
        client[name].deployments.insert_many(
            [
                {
                    "stack": f"stack-{n % 600}",
                    "server": f"host{n % 30}",
                    "commit": f"{n:040x}",
                    "services": [{"name": "app", "image": "busybox:1.36", "digest": f"sha256:{n:064x}"}],
                    "status": "ok",
                    "seconds": n % 90,
                }
                for n in range(DOCS)
            ]
        )
        result = dump_database(url, name, work / "dumps")
        restored_name = f"{name}_r"
        restore = restore_dump(result.path, url, restored_name)
    finally:
        client.drop_database(name)
        client.drop_database(f"{name}_r")
        client.close()
    return [
        _row("mongo dump 10k docs", result.duration_seconds, "s", f"{result.documents} docs, FerretDB v1"),
        _row("mongo dump size (gzip)", result.bytes_on_disk / 1e6, "MB", "bson.gz + metadata + manifest"),
        _row("mongo restore 10k docs", restore.duration_seconds, "s", "pymongo insert_many batches of 1000"),
    ]


def _bench_kopia(binary: str, work: Path) -> list[dict[str, object]]:
    data = work / "data"
    data.mkdir()
    for n in range(SNAPSHOT_MB):
        (data / f"blob{n:03d}").write_bytes(os.urandom(1_000_000))
    kopia = Kopia(binary, work / "kopia-client", password=SecretStr(uuid.uuid4().hex))
    kopia.connect_or_create_filesystem(work / "kopia-repo")
    started = time.perf_counter()
    (first,) = kopia.snapshot([data])
    first_wall = time.perf_counter() - started
    started = time.perf_counter()
    kopia.snapshot([data])
    second_wall = time.perf_counter() - started
    return [
        _row("kopia snapshot 100 MB (first)", first_wall, "s", f"{first.files} random files, fs repo"),
        _row("kopia snapshot 100 MB (unchanged)", second_wall, "s", "second run, nothing new to upload"),
    ]


def run() -> list[dict[str, object]]:
    """Benchmark rows; a missing component gives a row saying so."""
    testbed = json.loads(TESTBED.read_text())
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="ff-bench-backup-") as tmp:
        work = Path(tmp)
        rows += _bench_dump(str(testbed["mongodb_url"]), work)
        rows += _bench_kopia(str(testbed["kopia"]), work)
    return rows


def main() -> None:
    table = Table("benchmark", "value", "unit", "note", title="backup benchmarks")
    for row in run():
        table.add_row(*(str(row[k]) for k in ("benchmark", "value", "unit", "note")))
    Console().print(table)


if __name__ == "__main__":
    main()
