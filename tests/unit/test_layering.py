"""Layering: higher layers import lower ones, never back up (every import, lazy ones inside functions too).

``fleetflow`` (core) must not import ``flows``, ``tasks`` or ``deployments``;
``tasks`` must not import ``flows`` or ``deployments``; ``flows`` must not
import ``deployments``. Exceptions are listed with the reason they stay.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {
    "fleetflow": ("flows", "tasks", "deployments"),
    "tasks": ("flows", "deployments"),
    "flows": ("deployments",),
}
ALLOWED = {
    # The CLI is the outermost layer (the entry point users run); it lives in the core package
    # by the project's layout and imports flows and deployments lazily, inside each command.
    ("fleetflow/cli/", "flows"): "the CLI is the entry point: it runs flows",
    (
        "fleetflow/cli/",
        "deployments",
    ): "the CLI is the entry point: deploy and serve register",
    ("fleetflow/cli/", "tasks"): "the CLI is the entry point: `deploy` resolves the desired state",
    # Inline fan-out (reconcile, serve) calls deploy-stack / stack-action as subflows in this process.
    ("tasks/fanout.py", "flows"): "inline fan-out runs deploy-stack and stack-action as subflows",
}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every module ``path`` imports (top level and inside functions), with its line."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def violations() -> list[str]:
    out = []
    for layer, banned in FORBIDDEN.items():
        for path in sorted((ROOT / layer).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            for line, module in imported_modules(path):
                top = module.split(".", 1)[0]
                if top not in banned:
                    continue
                if any(rel.startswith(prefix) and top == target for prefix, target in ALLOWED):
                    continue
                out.append(f"{rel}:{line} imports {module} ({layer} must not import {top})")
    return out


def test_no_layer_imports_a_higher_one() -> None:
    assert violations() == []


def test_the_walk_sees_lazy_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import os\n\ndef f():\n    from deployments.register import ensure_fleet\n")
    assert (4, "deployments.register") in imported_modules(sample)
