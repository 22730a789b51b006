"""API benchmarks: token checks (scrypt vs remembered), request latency, ``/metrics`` scrape cost.

Run: ``python -m benchmarks.bench_api`` (embedded store; FerretDB too when the test bed runs it).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from fleetflow.api import Role, TokenVerifier, create_api_app, create_token
from fleetflow.errors import FleetflowError
from fleetflow.settings import Settings
from fleetflow.store import DeployStatus, StateStore, open_store

ROOT = Path(__file__).resolve().parents[1]
TESTBED = Path(os.environ.get("FF_TESTBED", ROOT / ".testbed" / "testbed.json"))
STACKS, DEPLOYS_PER_STACK, SERVERS, REQUESTS = 300, 10, 30, 50


def _row(name: str, value: float, unit: str, note: str) -> dict[str, object]:
    return {"benchmark": name, "value": round(value, 3), "unit": unit, "note": note}


def _seed(store: StateStore) -> None:
    now = datetime.now(UTC)
    for s in range(SERVERS):
        store.put_resource("server", f"host{s}", {"config": {"address": ""}}, "c1", 0)
        store.record_health(f"host{s}", {"reachable": True})
    for n in range(STACKS):
        store.put_resource("stack", f"stack{n}", {"config": {"server": f"host{n % SERVERS}"}}, "c1", 0)
        for d in range(DEPLOYS_PER_STACK):
            start = now - timedelta(minutes=d * 5)
            status = DeployStatus.GOOD if d % 4 else DeployStatus.FAILED
            end = start + timedelta(seconds=10 + d)
            store.record_deploy(f"stack{n}", f"host{n % SERVERS}", "c1", "fp", status, start, end, {}, "")


def _ms(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.95) - 1] * 1000


async def _no_prefect() -> str | None:
    return None


async def _requests(store: StateStore, home: Path, label: str) -> list[dict[str, object]]:
    token = create_token(store, "bench", Role.VIEWER)
    app = create_api_app(store, settings=Settings(home=home), prefect=_no_prefect, metrics_interval_s=0)
    headers = {"Authorization": f"Bearer {token}"}
    rows = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client:
        for path, auth, count in (
            ("/api/stack/stack7", True, REQUESTS),
            ("/api/stacks", True, 20),
            ("/healthz", False, 50),
            ("/metrics", False, 5),
        ):
            times = []
            for _ in range(count):
                started = time.perf_counter()
                response = await client.get(path, headers=headers if auth else None)
                times.append(time.perf_counter() - started)
                assert response.status_code == 200, response.text
            p50, p95 = _ms(times)
            note = f"{label}; {STACKS} stacks x {DEPLOYS_PER_STACK} deploys; p95 {p95:.1f} ms"
            rows.append(_row(f"GET {path} p50", p50, "ms", note))
    return rows


def _tokens(store: StateStore) -> list[dict[str, object]]:
    token = create_token(store, "ci", Role.OPERATOR)
    wrong = f"ff_ci_{'0' * 64}"
    good, bad = [], []
    verifier = TokenVerifier(store)
    for _ in range(10):
        started = time.perf_counter()
        assert verifier.verify(token) is not None
        good.append(time.perf_counter() - started)
        started = time.perf_counter()
        assert verifier.verify(wrong) is None
        bad.append(time.perf_counter() - started)
    return [
        _row("token check, valid", _ms(good)[0], "ms", "store read + HMAC-SHA-256 compare"),
        _row("token check, wrong secret", _ms(bad)[0], "ms", "same work as valid or unknown name"),
    ]


def _ferretdb_url() -> str | None:
    try:
        return str(json.loads(TESTBED.read_text())["mongodb_url"])
    except (OSError, KeyError, ValueError):
        return None


def run() -> list[dict[str, object]]:
    """Every API benchmark row."""
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="ff-bench-api-") as tmp:
        with open_store(None, embedded_path=Path(tmp) / "state") as store:
            _seed(store)
            rows += _tokens(store)
            rows += asyncio.run(_requests(store, Path(tmp), "embedded"))
        url = _ferretdb_url()
        if url:
            try:
                ferret = open_store(url, database=f"ffbench_api_{uuid.uuid4().hex[:8]}", attempts=1)
            except FleetflowError:
                return rows
            try:
                _seed(ferret)
                rows += asyncio.run(_requests(ferret, Path(tmp), "FerretDB"))
            finally:
                ferret.drop_everything()
                ferret.close()
    return rows


def main() -> None:
    table = Table(title="fleetflow API")
    for column in ("benchmark", "value", "unit", "note"):
        table.add_column(column)
    for row in run():
        table.add_row(*(str(row[c]) for c in ("benchmark", "value", "unit", "note")))
    Console().print(table)


if __name__ == "__main__":
    main()
