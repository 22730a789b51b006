"""Plan benchmark: a generated repo of 1,000 stacks on 100 servers -> load, validate, interpolate, plan.

Target: load + validate + plan under 1 s. Run: ``python -m benchmarks.bench_plan``.
"""

from __future__ import annotations

import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from fleetflow.resources import EnvSecrets, Kind, interpolate, load_resources, plan, state_of, validate

SERVERS = 100
STACKS_PER_SERVER = 10
APPS = 50


def generate(root: Path) -> None:
    """Write a Komodo-shaped repo: servers.toml, variables.toml, stacks-<host>.toml, shared compose dirs."""
    syncs = root / "syncs"
    syncs.mkdir(parents=True)
    servers = [
        f'[[server]]\nname = "host{i:03}"\n[server.config]\naddress = "ssh://ops@10.1.{i // 250}.{i % 250}"\n'
        for i in range(SERVERS)
    ]
    (syncs / "servers.toml").write_text("\n".join(servers))
    (syncs / "variables.toml").write_text(
        '[[variable]]\nname = "TZ"\nvalue = "UTC"\n\n[[variable]]\nname = "DOMAIN"\nvalue = "lab.example"\n'
    )
    for app in range(APPS):
        app_dir = root / "stacks" / f"app{app:02}"
        app_dir.mkdir(parents=True)
        (app_dir / "compose.yaml").write_text("services:\n  app:\n    image: fleetflow/busybox:latest\n")
    for host in range(SERVERS):
        entries = []
        for n in range(STACKS_PER_SERVER):
            name = f"s{host:03}-{n}"
            after = f'after = ["s{host:03}-{n - 1}"]\n' if n else ""
            entries.append(
                f'[[stack]]\nname = "{name}"\ndeploy = true\ntags = ["gen"]\n{after}[stack.config]\n'
                f'server = "host{host:03}"\nrun_directory = "stacks/app{(host + n) % APPS:02}"\n'
                f'environment = """\nTZ=[[TZ]]\nURL=https://{name}.[[DOMAIN]]\nTOKEN=[[API_TOKEN]]\n"""\n'
            )
        (syncs / f"stacks-host{host:03}.toml").write_text("\n".join(entries))


def _pipeline(root: Path) -> dict[str, float]:
    secrets = EnvSecrets({"FLEETFLOW_SECRET_API_TOKEN": "bench-token"})
    t0 = time.perf_counter()
    loaded = load_resources(root, ["syncs"])
    t1 = time.perf_counter()
    checked = validate(loaded)
    t2 = time.perf_counter()
    checked.raise_for_errors()
    desired = interpolate(checked, secrets)
    t3 = time.perf_counter()
    current: dict[str, dict[str, Any]] = {
        k.value: {n: state_of(e) for n, e in desired.resources.of(k).items()} for k in Kind
    }
    for name in list(current["stack"])[::10]:  # every 10th stack changed
        current["stack"][name] = {**current["stack"][name], "deploy": False}
    t4 = time.perf_counter()
    result = plan(desired, current)
    t5 = time.perf_counter()
    assert len(result.changes) == SERVERS * STACKS_PER_SERVER // 10
    return {"load": t1 - t0, "validate": t2 - t1, "interpolate": t3 - t2, "plan": t5 - t4}


def run() -> list[dict[str, object]]:
    """Timings (best of 3) and peak memory for the generated repo."""
    with tempfile.TemporaryDirectory(prefix="ff-bench-plan-") as tmp:
        root = Path(tmp)
        generate(root)
        runs = [_pipeline(root) for _ in range(3)]
        best = {k: min(r[k] for r in runs) for k in runs[0]}
        tracemalloc.start()
        _pipeline(root)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    stacks, servers = SERVERS * STACKS_PER_SERVER, SERVERS
    total = best["load"] + best["validate"] + best["plan"]
    note = f"{stacks} stacks / {servers} servers"
    rows: list[dict[str, object]] = [
        {"benchmark": "stacks", "value": stacks, "unit": "", "note": note},
        {"benchmark": "servers", "value": servers, "unit": "", "note": note},
    ]
    for step in ("load", "validate", "interpolate", "plan"):
        rows.append(
            {"benchmark": f"{step} s", "value": round(best[step], 3), "unit": "s", "note": "best of 3"}
        )
    rows.append(
        {
            "benchmark": "load+validate+plan s",
            "value": round(total, 3),
            "unit": "s",
            "note": "target < 1 s: " + ("met" if total < 1 else "MISSED"),
        }
    )
    rows.append(
        {"benchmark": "peak MB", "value": round(peak, 1), "unit": "MB", "note": "tracemalloc, one pass"}
    )
    return rows


if __name__ == "__main__":
    table = Table("benchmark", "value", "unit", "note", title="plan benchmark")
    for row in run():
        table.add_row(*(str(row.get(h, "")) for h in ("benchmark", "value", "unit", "note")))
    Console().print(table)
