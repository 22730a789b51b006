"""Run every ``benchmarks/bench_*.py`` (or the ones named) and print one table.

Usage: ``python -m benchmarks [plan store deploy ...]`` (``peer`` runs only when named). Each module exposes
``run() -> list[dict[str, object]]``; rows carry ``benchmark``, ``value``,
``unit`` and ``note``. ``--markdown`` prints the table as Markdown (for README).
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
ON_REQUEST = {"bench_peer"}  # about 17 minutes and a doco-cd build: run only when named


def discover(selected: list[str]) -> list[str]:
    """Module names of the benchmarks to run, in file order."""
    names = sorted(p.stem for p in HERE.glob("bench_*.py"))
    if selected:
        wanted = {f"bench_{s.removeprefix('bench_')}" for s in selected}
        unknown = wanted - set(names)
        if unknown:
            raise SystemExit(f"unknown benchmark(s): {', '.join(sorted(unknown))}; have: {', '.join(names)}")
        return [n for n in names if n in wanted]
    return [n for n in names if n not in ON_REQUEST]


def main(argv: list[str]) -> int:
    markdown = "--markdown" in argv
    args = [a for a in argv if not a.startswith("--")]
    rows: list[tuple[str, dict[str, object]]] = []
    console = Console(stderr=True)
    failed = 0
    for name in discover(args):
        console.print(f"[bold]running[/] {name} ...")
        started = time.perf_counter()
        try:
            module = importlib.import_module(f"benchmarks.{name}")
            for row in module.run():
                rows.append((name.removeprefix("bench_"), row))
        except Exception as exc:  # report and go on: one broken bench must not hide the others
            failed += 1
            area = name.removeprefix("bench_")
            rows.append((area, {"benchmark": "FAILED", "value": "", "note": repr(exc)}))
        console.print(f"  done in {time.perf_counter() - started:.1f} s")
    headers = ("area", "benchmark", "value", "unit", "note")
    if markdown:
        print("| " + " | ".join(headers) + " |")
        print("|" + "---|" * len(headers))
        for area, row in rows:
            print("| " + " | ".join([area, *(str(row.get(h, "")) for h in headers[1:])]) + " |")
    else:
        table = Table(*headers, title="fleetflow benchmarks")
        for area, row in rows:
            table.add_row(area, *(str(row.get(h, "")) for h in headers[1:]))
        Console().print(table)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
