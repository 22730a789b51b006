"""State store: 10,000 deploy records, then "last good deploy per stack" for 1,000 stacks.

Runs on FerretDB (the test bed's, or ``FF_BENCH_MONGODB_URL``) and on the
embedded montydb store. ``FF_BENCH_STORE_RECORDS`` lowers the record count for
a quick look. Usage: ``python -m benchmarks.bench_store``.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table

from fleetflow.errors import StoreUnavailable
from fleetflow.store import DeployStatus, StateStore, open_store

ROOT = Path(__file__).resolve().parents[1]
RECORDS = int(os.environ.get("FF_BENCH_STORE_RECORDS", "10000"))
STACKS = 1000
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def _mongodb_url() -> str | None:
    if url := os.environ.get("FF_BENCH_MONGODB_URL"):
        return url
    testbed = ROOT / ".testbed" / "testbed.json"
    return str(json.loads(testbed.read_text())["mongodb_url"]) if testbed.exists() else None


def _bench(label: str, store: StateStore) -> list[dict[str, object]]:
    statuses = (*[DeployStatus.GOOD] * 5, DeployStatus.FAILED, DeployStatus.ROLLED_BACK)  # 7: coprime to 1000
    started = time.perf_counter()
    for i in range(RECORDS):
        at = T0 + timedelta(seconds=i)
        store.record_deploy(
            f"stack-{i % STACKS}", f"host-{i % 30}", f"c{i}", f"fp{i}", statuses[i % 7],
            at, at + timedelta(seconds=20), {"web": {"image": "busybox", "digest": "sha256:00"}}, "ok",
        )  # fmt: skip
    insert_s = time.perf_counter() - started
    started = time.perf_counter()
    last_good = store.last_good_deploys()
    query_s = time.perf_counter() - started
    started = time.perf_counter()
    history = store.deploy_history("stack-7", limit=20)
    history_s = time.perf_counter() - started
    expected = {i % STACKS for i in range(RECORDS) if statuses[i % 7] is DeployStatus.GOOD}
    if len(last_good) != len(expected) or not history:
        raise RuntimeError(f"{label}: benchmark data incomplete")
    return [
        {
            "benchmark": f"{label}: insert {RECORDS} deploy records",
            "value": f"{RECORDS / insert_s:,.0f}",
            "unit": "records/s",
            "note": f"{insert_s:.1f} s total, {insert_s / RECORDS * 1000:.2f} ms each, acknowledged",
        },
        {
            "benchmark": f"{label}: last good deploy per stack ({len(last_good)} stacks)",
            "value": f"{query_s * 1000:.0f}",
            "unit": "ms",
            "note": "one read of the last_good collection",
        },
        {
            "benchmark": f"{label}: deploy history of one stack (20 newest)",
            "value": f"{history_s * 1000:.1f}",
            "unit": "ms",
            "note": f"over {RECORDS} records",
        },
    ]


def run() -> list[dict[str, object]]:
    """Benchmark rows for FerretDB (when reachable) and the embedded store."""
    rows: list[dict[str, object]] = []
    database = f"ffbench_{uuid.uuid4().hex[:8]}"
    url = _mongodb_url()
    if url:
        try:
            store = open_store(url, database=database, timeout_s=3)
        except StoreUnavailable as exc:
            rows.append({"benchmark": "ferretdb", "value": "skipped", "note": str(exc)[:80]})
        else:
            with store:
                try:
                    rows += _bench("ferretdb", store)
                finally:
                    store.drop_everything()
    with (
        tempfile.TemporaryDirectory(prefix="ffbench-") as tmp,
        open_store(embedded_path=Path(tmp) / "state", database=database) as store,
    ):
        rows += _bench("embedded", store)
    return rows


if __name__ == "__main__":
    table = Table("benchmark", "value", "unit", "note", title="state store")
    for row in run():
        table.add_row(*(str(row.get(k, "")) for k in ("benchmark", "value", "unit", "note")))
    Console().print(table)
