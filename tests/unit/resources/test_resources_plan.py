"""Planner behaviour beyond the golden cases, and its purity (no I/O, no Prefect)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from fleetflow.errors import ResourceError
from fleetflow.resources import (
    Action,
    Kind,
    MemorySource,
    interpolate,
    load_resources,
    plan,
    render_rows,
    state_of,
)

PURE_MODULES = [
    "plan",
    "render",
    "order",
    "interpolate",
    "fields",
    "entries",
    "server",
    "stack",
    "sync",
    "locate",
]
IO_MODULES = {
    "os",
    "io",
    "pathlib",
    "subprocess",
    "socket",
    "shutil",
    "git",
    "prefect",
    "httpx",
    "docker",
    "requests",
}
FILES = {
    "r.toml": """
[[server]]
name = "local"
[[stack]]
name = "a"
deploy = true
[stack.config]
server = "local"
[[stack]]
name = "b"
deploy = true
after = ["a"]
[stack.config]
server = "local"
"""
}


@pytest.mark.parametrize("module", PURE_MODULES)
def test_pure_modules_import_nothing_that_does_io(module: str) -> None:
    path = Path(__file__).resolve().parents[3] / "fleetflow" / "resources" / f"{module}.py"
    tree = ast.parse(path.read_text())
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {
        (node.module or "").split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    }
    assert imported.isdisjoint(IO_MODULES), f"{module}.py imports {imported & IO_MODULES}"
    calls = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    assert "open" not in calls


def test_importing_the_package_does_not_import_prefect() -> None:
    code = "import sys, fleetflow.resources; print(any(m.split('.')[0] == 'prefect' for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "False"


def test_applied_state_round_trips_to_no_change() -> None:
    desired = interpolate(load_resources(MemorySource(FILES)))
    current = {k.value: {n: state_of(e) for n, e in desired.resources.of(k).items()} for k in Kind}
    result = plan(desired, current)
    assert {e.action for e in result.entries} == {Action.NO_CHANGE}
    assert result.rounds == ()
    assert result.changes == ()


def test_current_state_missing_default_fields_is_no_change() -> None:
    desired = interpolate(load_resources(MemorySource(FILES)))
    current = {"server": {"local": {}}, "stack": {"a": {"deploy": True, "config": {"server": "local"}}}}
    entries = {(e.kind, e.name): e for e in plan(desired, current).entries}
    assert entries[(Kind.SERVER, "local")].action is Action.NO_CHANGE
    assert entries[(Kind.STACK, "a")].action is Action.NO_CHANGE
    assert entries[(Kind.STACK, "b")].action is Action.CREATE


def test_deploy_override_and_rows() -> None:
    desired = interpolate(load_resources(MemorySource(FILES)))
    result = plan(desired, {}, deploy=["b"])
    assert result.rounds == (("b",),)
    rows = render_rows(result)
    assert rows[0] == {
        "kind": "server",
        "name": "local",
        "action": "create",
        "field": "",
        "old": "",
        "new": "",
        "reason": "new in the resource files",
    }
    assert [r["name"] for r in rows] == ["local", "a", "b"]


def test_cycle_reaching_the_planner_is_a_resource_error() -> None:
    files = {
        "r.toml": FILES["r.toml"].replace(
            'name = "a"\ndeploy = true', 'name = "a"\ndeploy = true\nafter = ["b"]'
        )
    }
    desired = interpolate(load_resources(MemorySource(files)))
    with pytest.raises(ResourceError, match="cycle: a -> b -> a"):
        plan(desired, {})
