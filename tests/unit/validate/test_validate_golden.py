"""Golden cases for ``fleetflow validate``: ``cases/<name>.toml`` holds the repository's files and the
exact findings expected (severity, check, stack, file:line, message). One test drives them all.

Every case gets ``syncs/servers.toml`` with servers ``local`` and ``other`` unless it writes its own.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from fleetflow.resources import EnvSecrets, WorkTreeSource
from fleetflow.validate import OfflineSecrets, validate_repo

CASES = Path(__file__).with_name("cases")
SERVERS = (
    '[[server]]\nname = "local"\n\n[[server]]\nname = "other"\n[server.config]\naddress = "unix:///x.sock"\n'
)


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in {"syncs/servers.toml": SERVERS, **files}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _found(root: Path) -> list[dict[str, Any]]:
    report, _ = validate_repo(WorkTreeSource(root), ["syncs"], secrets=OfflineSecrets(EnvSecrets({})))
    keys = ("check", "stack", "where", "message")
    return [{"severity": f.severity.value, **{k: getattr(f, k) for k in keys}} for f in report.sorted()]


def _key(item: dict[str, Any]) -> tuple[str, ...]:
    return (item["severity"], item["check"], item["stack"], item["where"], item["message"])


@pytest.mark.parametrize("case", sorted(p.stem for p in CASES.glob("*.toml")))
def test_golden_case(case: str, tmp_path: Path) -> None:
    spec = tomllib.loads((CASES / f"{case}.toml").read_text())
    _write(tmp_path, spec["files"])
    found = sorted(_found(tmp_path), key=_key)
    expected = sorted(spec.get("expect", []), key=_key)
    assert found == expected, f"{case}: {spec['description']}"


def test_every_check_has_a_golden_case() -> None:
    checks = {
        e["check"] for p in CASES.glob("*.toml") for e in tomllib.loads(p.read_text()).get("expect", [])
    }
    assert checks >= {
        "compose.yaml",
        "compose.spec",
        "interpolation",
        "env_file",
        "networks",
        "volumes",
        "depends_on",
        "configs",
        "secrets",
        "bind_source",
        "ports",
        "container_name",
        "project_name",
        "resources",
    }
