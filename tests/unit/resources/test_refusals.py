"""Komodo stack fields fleetflow does not carry out are refused at load, naming the field (pure)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleetflow.resources import load_resources, validate
from fleetflow.resources.sources import WorkTreeSource

pytestmark = pytest.mark.unit

BASE = """[[server]]
name = "h"
[[repo]]
name = "other"
[repo.config]
repo = "me/other"
[[stack]]
name = "app"
[stack.config]
server = "h"
"""


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ('swarm = "cluster"', "config.swarm"),
    ],
)
def test_unsupported_field_is_a_load_error_naming_it(tmp_path: Path, line: str, field: str) -> None:
    (tmp_path / "resources.toml").write_text(BASE + line + "\n")
    (tmp_path / "compose.yaml").write_text("services: {a: {image: x}}\n")
    loaded = validate(load_resources(WorkTreeSource(tmp_path), [""]))
    messages = [str(e) for e in loaded.errors]
    assert any(f"[{field}]" in m and "resources.toml" in m for m in messages), messages


def test_the_same_stack_without_them_loads(tmp_path: Path) -> None:
    (tmp_path / "resources.toml").write_text(BASE + "webhook_force_deploy = false\n")
    (tmp_path / "compose.yaml").write_text("services: {a: {image: x}}\n")
    assert validate(load_resources(WorkTreeSource(tmp_path), [""])).errors == []


@pytest.mark.parametrize("line", ['repo = "me/stacks"', 'linked_repo = "other"'])
def test_files_from_another_repository_load(tmp_path: Path, line: str) -> None:
    """Checked when that repository is fetched (fleetflow.runtime.stack_repos), not refused."""
    (tmp_path / "resources.toml").write_text(BASE + line + "\n")
    assert validate(load_resources(WorkTreeSource(tmp_path), [""])).errors == []


def test_linking_the_repo_a_resource_sync_reads_is_not_refused(tmp_path: Path) -> None:
    sync = '[[resource_sync]]\nname = "s"\n[resource_sync.config]\nlinked_repo = "other"\n'
    (tmp_path / "resources.toml").write_text(BASE + 'linked_repo = "other"\n' + sync)
    (tmp_path / "compose.yaml").write_text("services: {a: {image: x}}\n")
    messages = [str(e) for e in validate(load_resources(WorkTreeSource(tmp_path), [""])).errors]
    assert not any("not support" in m for m in messages), messages
