"""``fleetflow validate``: the example validates clean; exit codes, selection, JSON, masking."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fleetflow.cli.app import app

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "homelab"
STACKS = """
[[stack]]
name = "web"
[stack.config]
server = "local"
run_directory = "stacks/web"
environment = "PORT=[[WEB_PORT]]"

[[stack]]
name = "db"
[stack.config]
server = "local"
run_directory = "stacks/db"
"""


def _repo(root: Path, web_compose: str) -> Path:
    files = {
        "syncs/servers.toml": '[[server]]\nname = "local"\n',
        "syncs/stacks.toml": STACKS,
        "stacks/web/compose.yaml": web_compose,
        "stacks/db/compose.yaml": "services:\n  db:\n    image: busybox\n",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["validate", *args])
    return result.exit_code, result.output


def test_the_example_homelab_validates_clean() -> None:
    code, out = _run(str(EXAMPLE), "--json")
    assert code == 0, out
    report = json.loads(out)
    assert report["ok"] is True
    assert report["findings"] == []
    assert set(report["stacks"]) == {"whoami-blue", "whoami-green", "proxy", "heartbeat"}


def test_exit_1_with_findings_as_json_and_a_table(tmp_path: Path) -> None:
    repo = _repo(tmp_path, "services:\n  web:\n    image: busybox\n    networks: [front]\n")
    code, out = _run(str(repo), "--json")
    assert code == 1
    report = json.loads(out)
    assert [(f["check"], f["stack"], f["where"]) for f in report["findings"] if f["severity"] == "error"] == [
        ("networks", "web", "stacks/web/compose.yaml:4")
    ]
    code, out = _run(str(repo))
    assert code == 1
    assert "invalid" in out
    assert "networks" in out


def test_a_stack_folder_or_name_selects_stacks_and_unknown_ones_are_usage_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _repo(tmp_path, "services:\n  web:\n    image: busybox\n    networks: [front]\n")
    monkeypatch.chdir(repo)
    assert _run("stacks/db")[0] == 0  # only db: web's error is not reported
    assert _run("db", "--json")[0] == 0
    assert _run("stacks/web")[0] == 1
    assert _run("--server", "local")[0] == 1
    code, out = _run("stacks/nothing")
    assert code == 2
    assert "stacks/nothing" in out
    assert _run("--server", "nowhere")[0] == 2


def test_secret_values_never_reach_the_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "8443"  # a secret used as a host port and a container name: masked in every message
    monkeypatch.setenv("FLEETFLOW_SECRET_WEB_PORT", secret)
    web = "services:\n  web:\n    image: busybox\n    container_name: c-${PORT}\n    ports: ['${PORT}:80']\n"
    repo = _repo(tmp_path, web)
    (repo / "stacks/db/compose.yaml").write_text(
        "services:\n  db:\n    image: busybox\n    container_name: c-8443\n    ports: ['8443:80']\n"
    )
    code, out = _run(str(repo), "--json")
    assert code == 1
    checks = {f["check"] for f in json.loads(out)["findings"]}
    assert {"ports", "container_name"} <= checks
    assert secret not in out


def test_a_secret_only_prefect_knows_is_a_warning_offline(tmp_path: Path) -> None:
    repo = _repo(tmp_path, "services:\n  web:\n    image: busybox\n")
    code, out = _run(str(repo), "--json")
    assert code == 0
    (finding,) = json.loads(out)["findings"]
    assert finding["severity"] == "warning"
    assert "[[WEB_PORT]]" in finding["message"]
