"""Plan benchmark: generated Komodo-shaped repositories -> load, validate, interpolate, plan.

Two sizes: 1,000 stacks on 100 servers (target: load + validate + plan under 1 s) and 20,000
stacks on 500 servers (target: load + validate under 5 s), with peak memory (tracemalloc).
Run: ``python -m benchmarks.bench_plan``.
"""

from __future__ import annotations

import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any, NamedTuple

from rich.console import Console
from rich.table import Table

from fleetflow.resources import EnvSecrets, Kind, interpolate, load_resources, plan, state_of, validate

APPS = 50


class Size(NamedTuple):
    """One generated repository: servers, stacks per server, runs to take the best of, targets."""

    servers: int
    per_server: int
    runs: int
    plan_target_s: float | None
    load_validate_target_s: float | None

    @property
    def stacks(self) -> int:
        return self.servers * self.per_server


SIZES = (Size(100, 10, 3, 1.0, None), Size(500, 40, 1, None, 5.0))


def generate(root: Path, servers: int = 100, per_server: int = 10) -> None:
    """Write a Komodo-shaped repo: servers.toml, variables.toml, stacks-<host>.toml, shared compose dirs."""
    syncs = root / "syncs"
    syncs.mkdir(parents=True)
    entries = [
        f'[[server]]\nname = "host{i:03}"\n[server.config]\naddress = "ssh://ops@10.1.{i // 250}.{i % 250}"\n'
        for i in range(servers)
    ]
    (syncs / "servers.toml").write_text("\n".join(entries))
    (syncs / "variables.toml").write_text(
        '[[variable]]\nname = "TZ"\nvalue = "UTC"\n\n[[variable]]\nname = "DOMAIN"\nvalue = "lab.example"\n'
    )
    for app in range(APPS):
        app_dir = root / "stacks" / f"app{app:02}"
        app_dir.mkdir(parents=True)
        (app_dir / "compose.yaml").write_text("services:\n  app:\n    image: fleetflow/busybox:latest\n")
    for host in range(servers):
        stacks = []
        for n in range(per_server):
            name = f"s{host:03}-{n}"
            after = f'after = ["s{host:03}-{n - 1}"]\n' if n else ""
            env = (
                f'environment = """\nTZ=[[TZ]]\nURL=https://{name}.[[DOMAIN]]\nTOKEN=[[API_TOKEN]]\n"""\n'
                if n % 2
                else f'environment = """\n- TZ: [[TZ]]\n- URL: https://{name}.[[DOMAIN]]\n'
                '- TOKEN: [[API_TOKEN]]\n"""\n'
            )
            stacks.append(
                f'[[stack]]\nname = "{name}"\ndeploy = true\ntags = ["gen"]\n{after}[stack.config]\n'
                f'server = "host{host:03}"\nrun_directory = "stacks/app{(host + n) % APPS:02}"\n{env}'
            )
        (syncs / f"stacks-host{host:03}.toml").write_text("\n".join(stacks))


class _Clock:
    """Wall and CPU time of each step (CPU time is what a loaded machine cannot inflate)."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def lap(self, step: str) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        self.times[step], self.times[f"{step} cpu"] = wall - self._wall, cpu - self._cpu
        self._wall, self._cpu = wall, cpu


def _pipeline(root: Path, size: Size) -> dict[str, float]:
    secrets = EnvSecrets({"FLEETFLOW_SECRET_API_TOKEN": "bench-token"})
    clock = _Clock()
    loaded = load_resources(root, ["syncs"])
    clock.lap("load")
    checked = validate(loaded, secrets=secrets)
    clock.lap("validate")
    checked.raise_for_errors()
    desired = interpolate(checked, secrets)
    clock.lap("interpolate")
    current: dict[str, dict[str, Any]] = {
        k.value: {n: state_of(e) for n, e in desired.resources.of(k).items()} for k in Kind
    }
    for name in list(current["stack"])[::10]:  # every 10th stack changed
        current["stack"][name] = {**current["stack"][name], "deploy": False}
    clock.lap("setup")
    result = plan(desired, current)
    clock.lap("plan")
    assert len(result.changes) == size.stacks // 10
    return clock.times


def _rows(size: Size, best: dict[str, float], peak: float) -> list[dict[str, object]]:
    note = f"{size.stacks} stacks / {size.servers} servers"
    rows: list[dict[str, object]] = [
        {
            "benchmark": f"{step} s",
            "value": f"{best[step]:.3f} (cpu {best[step + ' cpu']:.3f})",
            "unit": "s",
            "note": note,
        }
        for step in ("load", "validate", "interpolate", "plan")
    ]
    for label, steps, target in (
        ("load+validate s", ("load", "validate"), size.load_validate_target_s),
        ("load+validate+plan s", ("load", "validate", "plan"), size.plan_target_s),
    ):
        wall = sum(best[s] for s in steps)
        cpu = sum(best[f"{s} cpu"] for s in steps)
        verdict = ""
        if target is not None:
            verdict = f"; target < {target:g} s: wall " + ("met" if wall < target else "MISSED")
            verdict += ", cpu " + ("met" if cpu < target else "MISSED")
        value = f"{wall:.3f} (cpu {cpu:.3f})"
        rows.append({"benchmark": label, "value": value, "unit": "s", "note": note + verdict})
    rows.append(
        {"benchmark": "peak MB", "value": round(peak, 1), "unit": "MB", "note": note + "; tracemalloc"}
    )
    return rows


def run(sizes: tuple[Size, ...] = SIZES) -> list[dict[str, object]]:
    """Timings (best of ``runs``) and peak memory for each generated repo."""
    rows: list[dict[str, object]] = []
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="ff-bench-plan-") as tmp:
            root = Path(tmp)
            generate(root, size.servers, size.per_server)
            runs = [_pipeline(root, size) for _ in range(size.runs)]
            best = {k: min(r[k] for r in runs) for k in runs[0]}
            tracemalloc.start()
            _pipeline(root, size)
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        rows += _rows(size, best, peak)
    return rows


if __name__ == "__main__":
    table = Table("benchmark", "value", "unit", "note", title="plan benchmark")
    for row in run():
        table.add_row(*(str(row.get(h, "")) for h in ("benchmark", "value", "unit", "note")))
    Console().print(table)
