"""kill -9 FerretDB during a burst of writes: acknowledged writes survive, the others raised.

Uses a private FerretDB (own port and data directory) so the shared test-bed
instance other tests rely on is never touched.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fleetflow.errors import StoreUnavailable
from fleetflow.store import DeployStatus, open_store
from tests.conftest import ROOT, missing
from tests.support.processes import Process, free_port

pytestmark = pytest.mark.mongo

FERRETDB = ROOT / ".testbed" / "bin" / "ferretdb"


def _wait_port(port: int, up: bool, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                is_up = True
        except OSError:
            is_up = False
        if is_up == up:
            return
        time.sleep(0.05)
    raise TimeoutError(f"port {port} not {'open' if up else 'closed'} after {timeout} s")


def datetime_at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _ferretdb(data: Path, port: int) -> Process:
    argv = [
        str(FERRETDB),
        "--handler=sqlite",
        f"--sqlite-url=file:{data}/",
        f"--listen-addr=127.0.0.1:{port}",
        f"--state-dir={data}",
        "--telemetry=disable",
        "--log-level=warn",
        "--debug-addr=-",
    ]
    process = Process(argv, data / "ferretdb.log").start()
    _wait_port(port, up=True)
    return process


def test_kill_9_during_write_burst_loses_no_acknowledged_write(tmp_path: Path) -> None:
    if not os.access(FERRETDB, os.X_OK):
        missing("ferretdb", f"{FERRETDB} not built")
    data = tmp_path / "ferret"
    data.mkdir()
    port = free_port()
    server = _ferretdb(data, port)
    acked: list[str] = []
    raised: list[int] = []
    acked_after_restart = threading.Event()
    restarted = threading.Event()
    stop = threading.Event()
    store = open_store(f"mongodb://127.0.0.1:{port}/", database="crash", timeout_s=0.5, attempts=2)

    def burst() -> None:
        now = time.time()
        for i in range(100_000):  # bounded; stopped by the main thread long before
            if stop.is_set():
                return
            try:
                record = store.record_deploy(
                    "burst", "host1", f"c{i}", f"fp{i}", DeployStatus.GOOD,
                    datetime_at(now), datetime_at(now + 1), {}, f"write {i}",
                )  # fmt: skip
            except StoreUnavailable:
                raised.append(i)
                continue
            acked.append(record.id)
            if restarted.is_set():
                acked_after_restart.set()

    writer = threading.Thread(target=burst)
    try:
        writer.start()
        time.sleep(0.5)
        assert server.popen is not None
        os.killpg(server.popen.pid, signal.SIGKILL)
        server.popen.wait(10)
        _wait_port(port, up=False)
        time.sleep(1.5)
        server = _ferretdb(data, port)
        restarted.set()
        assert acked_after_restart.wait(30), "no write succeeded after FerretDB came back"
        time.sleep(0.3)
    finally:
        stop.set()
        writer.join(30)
    stored = {d.id for d in store.deploy_history("burst", limit=len(acked) + len(raised) + 10)}
    try:
        assert raised, "writes while FerretDB was down must raise StoreUnavailable"
        assert len(acked) > 10
        lost = [a for a in acked if a not in stored]
        assert not lost, f"{len(lost)} acknowledged writes lost"
    finally:
        store.close()
        server.stop()
