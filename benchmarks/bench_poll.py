"""Poll and change-detection benchmarks.

- no-change poll of a repo with 1,000 stacks and 5,000 commits (target < 0.3 s: one fetch + one cursor read)
- change detection: 1,000 stacks, one 50-file commit (input sets from compose files, then detect)
"""

from __future__ import annotations

import random
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from fleetflow.changes import compose_inputs, detect_changes
from fleetflow.errors import GitError
from fleetflow.git import RepoCache, poll

STACKS, COMMITS = 1000, 5000


def _compose(i: int) -> str:
    return (
        "services:\n  app:\n    image: fleetflow/busybox:latest\n"
        f"    env_file: [../../shared/common{i % 10}.env, .env]\n"
        f"    volumes: ['../../config/c{i % 50}.conf:/etc/c.conf:ro', 'data:/data']\n"
        "volumes: {data: {}}\n"
    )


def _fast_import(bare: Path) -> None:
    """5,000 commits over 1,000 stack dirs, written with `git fast-import` (seconds, not minutes)."""
    lines: list[str] = []
    for n in range(COMMITS):
        lines += [
            "commit refs/heads/main",
            f"committer bench <bench@fleetflow.invalid> {1_700_000_000 + n} +0000",
            "data 2",
            f"c{n % 10}",
        ]
        if n == 0:
            files = {f"stacks/s{i}/compose.yaml": _compose(i) for i in range(STACKS)}
            files |= {f"stacks/s{i}/.env": f"PORT={i}\n" for i in range(STACKS)}
            files |= {f"shared/common{k}.env": "TZ=UTC\n" for k in range(10)}
            files |= {f"config/c{k}.conf": f"k={k}\n" for k in range(50)}
        else:
            files = {f"stacks/s{n % STACKS}/.env": f"PORT={n}\n"}
        for path, text in files.items():
            data = text.encode()
            lines += [f"M 100644 inline {path}", f"data {len(data)}", text.rstrip("\n")]
        lines.append("")
    stream = "\n".join(lines).encode()
    subprocess.run(["git", "fast-import", "--quiet"], cwd=bare, input=stream, check=True)


def _poll_rows(root: Path) -> tuple[list[dict[str, object]], RepoCache, Path]:
    bare = root / "remote.git"
    bare.mkdir()
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    _fast_import(bare)
    cache, cursor = RepoCache(root / "cache"), dict[str, str | None](sha=None)

    def cursor_set(sha: str) -> None:
        cursor["sha"] = sha

    started = time.perf_counter()
    poll(cache, str(bare), "main", lambda: cursor["sha"], cursor_set)
    first = time.perf_counter() - started
    samples = []
    for _ in range(20):
        started = time.perf_counter()
        result = poll(cache, str(bare), "main", lambda: cursor["sha"], cursor_set)
        samples.append(time.perf_counter() - started)
        assert not result.changed
    return (
        [
            {
                "benchmark": "first poll (clone 5,000 commits)",
                "value": f"{first * 1000:.0f}",
                "unit": "ms",
                "note": "",
            },
            {
                "benchmark": "no-change poll, 1,000 stacks / 5,000 commits",
                "value": f"{statistics.median(samples) * 1000:.1f}",
                "unit": "ms (median of 20)",
                "note": f"target < 300 ms; max {max(samples) * 1000:.1f} ms",
            },
        ],
        cache,
        bare,
    )


def _detect_rows(cache: RepoCache, bare: Path) -> list[dict[str, object]]:
    repo = cache.ensure(str(bare), "main")
    head = repo.head()

    def read(path: str) -> bytes | None:
        try:
            return repo.read_file(head, path)
        except GitError:
            return None

    started = time.perf_counter()
    inputs = [
        compose_inputs(f"s{i}", [f"stacks/s{i}/compose.yaml"], read, run_directory=f"stacks/s{i}")
        for i in range(STACKS)
    ]
    build = time.perf_counter() - started
    rng = random.Random(1)
    changed = sorted(
        {f"stacks/s{rng.randrange(STACKS)}/.env" for _ in range(45)} | {"config/c7.conf", "README.md"}
    )
    changed = (changed + [f"docs/p{k}.md" for k in range(50)])[:50]
    samples = []
    for _ in range(20):
        started = time.perf_counter()
        affected = detect_changes(inputs, changed)
        samples.append(time.perf_counter() - started)
    return [
        {
            "benchmark": "input sets for 1,000 stacks (read compose at commit)",
            "value": f"{build * 1000:.0f}",
            "unit": "ms",
            "note": "once per new commit",
        },
        {
            "benchmark": "change detection, 1,000 stacks x 50-file commit",
            "value": f"{statistics.median(samples) * 1000:.2f}",
            "unit": "ms (median of 20)",
            "note": f"{len(affected)} stacks affected",
        },
    ]


def run() -> list[dict[str, object]]:
    with tempfile.TemporaryDirectory(prefix="ff-bench-poll-") as tmp:
        rows, cache, bare = _poll_rows(Path(tmp))
        return rows + _detect_rows(cache, bare)


if __name__ == "__main__":
    table = Table("benchmark", "value", "unit", "note", title="poll / change detection")
    for row in run():
        table.add_row(*(str(row.get(k, "")) for k in ("benchmark", "value", "unit", "note")))
    Console().print(table)
