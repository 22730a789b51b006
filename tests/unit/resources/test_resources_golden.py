"""Golden cases: ``tests/cases/<name>/`` holds ``repo/`` (resource files), optional ``before/``
(the applied state, as files) and ``case.toml``; ``expected.json`` is the load/validate/plan outcome.

Regenerate after an intended change with ``FF_UPDATE_GOLDEN=1 pytest tests/unit/resources``.
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any

import pytest

from fleetflow.errors import ResourceErrors
from fleetflow.resources import (
    EnvSecrets,
    Kind,
    MemorySource,
    interpolate,
    load_resources,
    plan,
    render_rows,
    render_text,
    state_of,
    validate,
)

CASES = Path(__file__).resolve().parents[2] / "cases"
UPDATE = os.environ.get("FF_UPDATE_GOLDEN") == "1"


def _current(case_dir: Path, case: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    current: dict[str, dict[str, dict[str, Any]]] = dict(case.get("current", {}))
    before = case_dir / "before"
    if before.is_dir():
        loaded = load_resources(before, case.get("resource_paths", [""]))
        loaded.raise_for_errors()
        for kind in Kind:
            for name, entry in loaded.resources.of(kind).items():
                current.setdefault(kind.value, {})[name] = state_of(entry)
    return current


def _files(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


def _source(case_dir: Path, case: dict[str, Any]) -> Path | MemorySource:
    """The case's ``repo/``, or ``repo/`` laid over another case's repo (``base``) for variants."""
    if "base" not in case:
        return case_dir / "repo"
    return MemorySource({**_files(CASES / case["base"] / "repo"), **_files(case_dir / "repo")})


def run_case(case_dir: Path) -> dict[str, Any]:
    """Load, validate, interpolate and plan one case; the JSON-able outcome."""
    case = tomllib.loads((case_dir / "case.toml").read_text())
    secrets = EnvSecrets(case.get("secrets", {}), prefix="")
    loaded = validate(
        load_resources(_source(case_dir, case), case.get("resource_paths", [""])),
        repo_name=case.get("repo_name"),
        secrets=secrets,
    )
    out: dict[str, Any] = {
        "errors": [str(e) for e in loaded.errors],
        "warnings": [str(w) for w in loaded.warnings],
        "counts": {k.value: len(loaded.resources.of(k)) for k in Kind},
    }
    if loaded.errors:
        return out
    try:
        desired = interpolate(loaded, secrets)
    except ResourceErrors as exc:
        out["errors"] = [str(e) for e in exc.errors]
        return out
    syncs = loaded.resources.syncs.values()
    delete = case.get("delete", any(s.config.deletes for s in syncs))
    # ``deploy_changed``: every created or updated stack is a candidate, as a sync's change detection makes it
    deploy = list(desired.stacks) if case.get("deploy_changed") else None
    result = plan(
        desired,
        _current(case_dir, case),
        delete=delete,
        match_tags=case.get("match_tags", ()),
        deploy=deploy,
    )
    out["plan"] = render_text(result).splitlines()
    out["rows"] = len(render_rows(result))
    out["rounds"] = [list(r) for r in result.rounds]
    out["rendered"] = {
        name: desired.rendered_stack(name)["config"]["environment"]
        for name in case.get("show_environment", [])
    }
    return out


@pytest.mark.parametrize("name", sorted(p.name for p in CASES.iterdir() if (p / "case.toml").exists()))
def test_golden_case(name: str) -> None:
    case_dir = CASES / name
    outcome = run_case(case_dir)
    expected_file = case_dir / "expected.json"
    if UPDATE:
        expected_file.write_text(json.dumps(outcome, indent=2, ensure_ascii=False) + "\n")
    assert expected_file.exists(), f"{expected_file} missing; run with FF_UPDATE_GOLDEN=1 and review it"
    assert outcome == json.loads(expected_file.read_text())
    case = tomllib.loads((case_dir / "case.toml").read_text())
    dumped = json.dumps(outcome)
    for secret in case.get("secrets", {}).values():
        assert secret not in dumped, f"secret value leaked into the outcome of {name}"
    for secret in case.get("secret_values", []):
        assert secret not in dumped, f"secret variable leaked into the outcome of {name}"


def test_at_least_ten_cases() -> None:
    assert len([p for p in CASES.iterdir() if (p / "case.toml").exists()]) >= 10
