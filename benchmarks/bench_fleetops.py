"""SSH host and fleet-pull benchmarks against the test-bed sshd (127.0.0.1).

Run: ``python -m benchmarks.bench_fleetops`` (needs the test bed's sshd and host2's Docker).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from fleetflow.fleetops import PullStatus, PullTarget, pull_all
from fleetflow.hosts.connect import SshOptions, connect
from fleetflow.hosts.ssh import SshHost

ROOT = Path(__file__).resolve().parents[1]
TESTBED = Path(os.environ.get("FF_TESTBED", ROOT / ".testbed" / "testbed.json"))
FLEET = 20


def _row(name: str, value: float, unit: str, note: str) -> dict[str, object]:
    return {"benchmark": name, "value": round(value, 3), "unit": unit, "note": note}


def _host(ssh: dict[str, object], name: str, work: Path, docker_host: str) -> SshHost:
    opts = SshOptions(key_path=Path(str(ssh["client_key"])), known_hosts=Path(str(ssh["known_hosts"])))
    address = f"ssh://{ssh['user']}@{ssh['host']}:{ssh['port']}"
    host = connect(name, address, stacks_root=work / "stacks", docker_host=docker_host, ssh_options=opts)
    assert isinstance(host, SshHost)
    return host


def _git(cwd: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@x.invalid"}
    env |= {"GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@x.invalid"}
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=env)


async def _bench_host(host: SshHost, work: Path) -> list[dict[str, object]]:
    started = time.perf_counter()
    await host.run(["true"], timeout=30)
    cold = time.perf_counter() - started
    warm = []
    for _ in range(30):
        t = time.perf_counter()
        await host.run(["true"], timeout=30)
        warm.append(time.perf_counter() - t)
    t = time.perf_counter()
    await asyncio.gather(*(host.run(["true"], timeout=30) for _ in range(40)))
    burst = time.perf_counter() - t
    files = {f"conf/f{i}.txt": b"x" * 1024 for i in range(20)}
    t = time.perf_counter()
    await host.put_files(str(work / "up"), files)
    put_small = time.perf_counter() - t
    t = time.perf_counter()
    await host.put_files(str(work / "up"), {"blob": os.urandom(10 << 20)})
    put_big = time.perf_counter() - t
    t = time.perf_counter()
    with host.docker() as client:
        client.ping()
    docker_open = time.perf_counter() - t
    return [
        _row("ssh connect + first command", cold * 1000, "ms", "key auth, known_hosts checked"),
        _row(
            "ssh command round trip (median)",
            statistics.median(warm) * 1000,
            "ms",
            "reused connection, 30 runs",
        ),
        _row("ssh 40 concurrent commands", burst * 1000, "ms", "one connection, 40 channels"),
        _row("sftp put 20 x 1 KiB files", put_small * 1000, "ms", "temp + chmod + rename each"),
        _row("sftp put 10 MiB file", put_big * 1000, "ms", "one file, atomic replace"),
        _row("docker client over ssh: open + ping", docker_open * 1000, "ms", "forwarded unix socket"),
    ]


async def _bench_pull(ssh: dict[str, object], work: Path, docker_host: str) -> list[dict[str, object]]:
    bare, seed = work / "remote.git", work / "seed"
    bare.mkdir()
    _git(bare, "init", "--bare", "-q", "-b", "main")
    _git(work, "clone", "-q", str(bare), str(seed))
    _git(seed, "checkout", "-q", "-b", "main")
    _git(seed, "commit", "-q", "--allow-empty", "-m", "one")
    _git(seed, "push", "-q", "origin", "HEAD:main")
    for i in range(FLEET):
        _git(work, "clone", "-q", "-b", "main", str(bare), str(work / f"c{i}"))
    _git(seed, "commit", "-q", "--allow-empty", "-m", "two")
    _git(seed, "push", "-q", "origin", "HEAD:main")
    hosts = [_host(ssh, f"h{i}", work, docker_host) for i in range(FLEET)]
    targets = [PullTarget(h, str(work / f"c{i}")) for i, h in enumerate(hosts)]
    try:
        t = time.perf_counter()
        first = await pull_all(targets, timeout=60)
        updated = time.perf_counter() - t
        t = time.perf_counter()
        second = await pull_all(targets, timeout=60)
        again = time.perf_counter() - t
    finally:
        await asyncio.gather(*(h.close() for h in hosts))
    ok = (
        sum(r.status is PullStatus.UPDATED for r in first),
        sum(r.status is PullStatus.UP_TO_DATE for r in second),
    )
    return [
        _row(
            f"pull-all {FLEET} ssh hosts (updated)",
            updated,
            "s",
            f"{ok[0]}/{FLEET} updated, cold connections",
        ),
        _row(f"pull-all {FLEET} ssh hosts (no change)", again, "s", f"{ok[1]}/{FLEET} up to date, warm"),
    ]


def run() -> list[dict[str, object]]:
    """Benchmark rows for the SSH host and the fleet pull."""
    testbed = json.loads(TESTBED.read_text())
    ssh, docker_host = testbed["ssh"], testbed["docker_hosts"]["host2"]

    async def main() -> list[dict[str, object]]:
        with tempfile.TemporaryDirectory(prefix="ff-bench-fleetops-") as tmp:
            work = Path(tmp)
            host = _host(ssh, "bench", work, docker_host)
            try:
                rows = await _bench_host(host, work)
            finally:
                await host.close()
            return rows + await _bench_pull(ssh, work, docker_host)

    return asyncio.run(main())


def main() -> None:
    table = Table("benchmark", "value", "unit", "note", title="fleetops / ssh benchmarks")
    for row in run():
        table.add_row(*(str(row[k]) for k in ("benchmark", "value", "unit", "note")))
    Console().print(table)


if __name__ == "__main__":
    main()
