"""``fleetflow validate`` benchmark: cold CLI processes, offline checks, wall time and peak memory.

On the example homelab and on a generated repository of 1,000 stacks (100 servers,
a distinct compose file per stack with networks, volumes, env files, ports and
interpolation). Goals: under 2 s for the example, under 15 s for 1,000 stacks.
Run: ``python -m benchmarks.bench_validate``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SERVERS = 100
STACKS_PER_SERVER = 10


def generate(root: Path) -> int:
    """A valid repo: servers, variables, one stacks file per server, a compose dir per stack."""
    syncs = root / "syncs"
    syncs.mkdir(parents=True)
    (syncs / "servers.toml").write_text(
        "".join(
            f'[[server]]\nname = "host{i:03}"\n[server.config]\n'
            f'address = "ssh://ops@10.2.{i // 250}.{i % 250}"\n\n'
            for i in range(SERVERS)
        )
    )
    (syncs / "variables.toml").write_text('[[variable]]\nname = "TZ"\nvalue = "Europe/Berlin"\n')
    (root / "config").mkdir()
    (root / "config" / "common.env").write_text("LOG_LEVEL=info\nPUID=1000\n")
    for s in range(SERVERS):
        entries = []
        for k in range(STACKS_PER_SERVER):
            name = f"app{s:03}-{k}"
            entries.append(
                f'[[stack]]\nname = "{name}"\ndeploy = true\n[stack.config]\nserver = "host{s:03}"\n'
                f'run_directory = "stacks/{name}"\nenvironment = "TZ=[[TZ]]\\nPORT={8000 + k}"\n'
            )
            stack_dir = root / "stacks" / name
            (stack_dir / "conf").mkdir(parents=True)
            (stack_dir / "conf" / "app.conf").write_text(f"name={name}\n")
            (stack_dir / "compose.yaml").write_text(
                "services:\n"
                "  web:\n"
                f"    image: registry.local/{name}:${{TAG:-latest}}\n"
                "    ports: ['${PORT:?PORT is required}:80']\n"
                "    env_file: [../../config/common.env]\n"
                "    environment:\n"
                "      TZ: ${TZ}\n"
                "    volumes: ['./conf:/etc/app:ro', 'data:/data']\n"
                "    networks: [front, back]\n"
                "    depends_on: [db]\n"
                "  db:\n"
                "    image: registry.local/db:16\n"
                "    volumes: ['db:/var/lib/db']\n"
                "    networks: [back]\n"
                "networks:\n  front: {}\n  back: {}\n"
                "volumes:\n  data: {}\n  db: {}\n"
            )
        (syncs / f"stacks-host{s:03}.toml").write_text("\n".join(entries))
    return SERVERS * STACKS_PER_SERVER


def _cli(*args: str) -> tuple[float, float, float, int]:
    """(wall s, CPU s, peak RSS MiB, exit status) of one cold ``fleetflow ARGS`` process."""
    exe = Path(sys.executable).with_name("fleetflow")
    script = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
        "wall = time.perf_counter() - t\n"
        "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(wall, u.ru_utime + u.ru_stime, u.ru_maxrss / 1024, p.returncode)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(exe), *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PREFECT_LOGGING_LEVEL": "WARNING"},
    ).stdout.split()
    return float(out[0]), float(out[1]), float(out[2]), int(out[3])


def run() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    wall, cpu, _, _ = _cli("version")
    rows.append(
        {
            "benchmark": "baseline: fleetflow version (cold CLI start)",
            "value": round(wall, 2),
            "unit": "s",
            "note": f"CPU {cpu:.2f} s",
        }
    )
    wall, cpu, rss, code = _cli("validate", str(ROOT / "examples" / "homelab"), "--json")
    rows.append(
        {
            "benchmark": "validate: example homelab (cold CLI)",
            "value": round(wall, 2),
            "unit": "s",
            "note": f"CPU {cpu:.2f} s, peak {rss:.0f} MiB, exit {code}; goal < 2 s",
        }
    )
    with tempfile.TemporaryDirectory() as tmp:
        count = generate(Path(tmp) / "repo")
        wall, cpu, rss, code = _cli("validate", str(Path(tmp) / "repo"), "--json")
    rows.append(
        {
            "benchmark": f"validate: {count} stacks on {SERVERS} servers (cold CLI)",
            "value": round(wall, 2),
            "unit": "s",
            "note": f"CPU {cpu:.2f} s, peak {rss:.0f} MiB, exit {code}; goal < 15 s",
        }
    )
    return rows


if __name__ == "__main__":
    for row in run():
        print(f"{row['benchmark']}: {row['value']} {row['unit']} ({row['note']})")
