"""Every file operation in the modules that handle repository-named paths is a reviewed call site.

A new ``host.remove`` / ``put_files`` / ``read_file``, ``read_bytes`` / ``read_text``,
``unlink`` or ``rmtree`` in these modules fails this test until its path goes through
:func:`fleetflow.paths.confine` (or :func:`fleetflow.hosts.confine.confine_on_host`) and
the count below is updated with the reason it is safe.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
SCOPE = ("fleetflow/deploy", "fleetflow/hosts", "fleetflow/resources", "fleetflow/runtime",
         "fleetflow/changes", "fleetflow/git", "flows", "tasks")  # fmt: skip
OPERATION = re.compile(
    r"\b(?:host|self\.host)\.(?:remove|put_files|read_file)\(|\.read_bytes\(|\.read_text\("
    r"|\.unlink\(|rmtree\(|\.write_bytes\(|\.write_text\(|os\.remove\(|\bopen\("
)

REVIEWED: dict[str, tuple[int, str]] = {
    "fleetflow/deploy/materialize.py": (
        10,
        "every path from confine_on_host (lexical + realpath on the host)",
    ),
    "fleetflow/deploy/actions.py": (1, "stack dir and deploy.json through confine / confine_on_host"),
    "fleetflow/hosts/local.py": (3, "the host primitives; callers pass confined absolute paths"),
    "fleetflow/hosts/ssh.py": (3, "sftp open/remove of paths the callers confined (put_files, read_file)"),
    "fleetflow/resources/loader.py": (
        1,
        "source.read_text: WorkTreeSource confines, git sources resolve in-tree",
    ),
    "fleetflow/resources/secrets.py": (1, "the operator's secrets file (settings, not the repository)"),
    "fleetflow/resources/sources.py": (1, "WorkTreeSource.read_text through confine"),
    "fleetflow/runtime/snapshot.py": (2, "read_bytes through confine; the digest reads list_files (in-root)"),
    "fleetflow/runtime/specs.py": (2, "snapshot.read_bytes (confined) of listed repository files"),
    "fleetflow/git/cache.py": (1, "the cache's own metadata under the cache directory"),
    "fleetflow/deploy/registry_auth.py": (
        2,
        "a fleetflow-named temporary DOCKER_CONFIG under the stacks root (validated stack name + uuid)",
    ),
    "fleetflow/deploy/host_files.py": (
        1,
        "files_on_host: read-only, hashed, never written or echoed; '..' and / refused in run_directory",
    ),
    "fleetflow/resources/validate.py": (1, "read_text delegates to the (confining) repository source"),
    "fleetflow/runtime/local_server.py": (4, "the local Prefect server's record and lock in FLEETFLOW_HOME"),
    "fleetflow/runtime/prefect_server.py": (2, "the local Prefect server's log under FLEETFLOW_HOME"),
    "fleetflow/runtime/stopper.py": (1, "os.open of /dev/null for serve's own stderr"),
}


def call_sites() -> dict[str, int]:
    counts: dict[str, int] = {}
    for scope in SCOPE:
        for path in sorted((ROOT / scope).rglob("*.py")):
            lines = path.read_text().splitlines()
            found = sum(1 for line in lines if OPERATION.search(line) and not line.lstrip().startswith("#"))
            if found:
                counts[path.relative_to(ROOT).as_posix()] = found
    return counts


def test_every_file_operation_is_a_reviewed_confined_call_site() -> None:
    found = call_sites()
    expected = {path: count for path, (count, _why) in REVIEWED.items()}
    changed = {p: (expected.get(p, 0), found.get(p, 0)) for p in expected.keys() | found.keys()
               if expected.get(p, 0) != found.get(p, 0)}  # fmt: skip
    assert not changed, (
        "file operations changed in modules that handle repository-named paths "
        f"(file: (reviewed, now)): {changed}. Confine each new path with fleetflow.paths.confine "
        "or fleetflow.hosts.confine.confine_on_host, then update REVIEWED in this test."
    )


def test_the_scan_finds_the_operations_it_guards() -> None:
    assert OPERATION.search("await host.remove(path)")
    assert OPERATION.search("data = snapshot.read_bytes(p)")
    assert not OPERATION.search("await host.compose(project, args)")
