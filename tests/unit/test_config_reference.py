"""docs/configuration.md is generated from the pydantic models and must be current and complete."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import Field, create_model

from fleetflow import docs
from fleetflow.errors import ConfigError
from fleetflow.resources import ServerConfig, StackConfig

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "docs" / "configuration.md"
REGENERATE = (
    "docs/configuration.md is stale: regenerate it with `python -m fleetflow.docs > docs/configuration.md`"
)


def test_committed_reference_is_current() -> None:
    assert REFERENCE.read_text() == docs.render_config_reference(), REGENERATE


def test_reference_does_not_depend_on_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/nonexistent/elsewhere")
    monkeypatch.setenv("FLEETFLOW_HOME", "/tmp/ignored")
    assert docs.render_config_reference() == REFERENCE.read_text(), REGENERATE


def test_every_field_of_every_model_has_a_row() -> None:
    text = docs.render_config_reference()
    for section in docs.SECTIONS:
        for name in section.model.model_fields:
            if name not in section.exclude:
                assert f"| `{name}`" in text, f"{section.model.__name__}.{name} missing from the reference"
    assert "### `MaintenanceWindow` table" in text
    assert "### `DeployCommand` table" in text


def test_a_field_added_without_docs_fails_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    grown = create_model("ServerConfig", __base__=ServerConfig, brand_new=(bool, False))
    sections = (*docs.SECTIONS, docs.Section("grown", grown, "a server config with one more field"))
    monkeypatch.setattr(docs, "SECTIONS", sections)
    with pytest.raises(ConfigError) as caught:
        docs.render_config_reference()
    assert "ServerConfig.brand_new" in str(caught.value)
    assert "cpu_warning" not in str(caught.value)
    assert "MEANINGS" in str(caught.value)

    described = create_model(
        "ServerConfig", __base__=ServerConfig, brand_new=(bool, Field(False, description="Brand new."))
    )
    monkeypatch.setattr(docs, "SECTIONS", (docs.Section("grown", described, "documented"),))
    assert "| `brand_new` | boolean | `false` | Brand new. |" in docs.render_config_reference()


def test_rows_show_environment_types_defaults_and_aliases() -> None:
    text = docs.render_config_reference()
    assert "| `poll_interval_seconds` | `FLEETFLOW_POLL_INTERVAL_SECONDS` | integer, ≥ 5 | `300` |" in text
    assert "| `home` | `FLEETFLOW_HOME` | path | `~/.fleetflow` |" in text
    assert (
        "| `kopia_password` | `FLEETFLOW_BACKUP_KOPIA_PASSWORD` | secret string (optional) | unset |" in text
    )
    assert '| `server` (alias `server_id`) | string | `""` |' in text
    assert "| `poll_for_updates` | boolean | `true` |" in text
    assert "| `webhook_enabled` | boolean | `false` |" in text  # fleetflow's stack default, not Komodo's
    assert "| `requires` | one of `Redeploy`, `Restart`, `None` | `Redeploy` |" in text
    assert "| `name` | string | required |" in text


def test_types_and_defaults_of_single_fields() -> None:
    fields = StackConfig.model_fields
    assert docs.type_name(fields["file_paths"].annotation, fields["file_paths"].metadata).startswith(
        "list of strings (or one string"
    )
    assert docs.type_name(fields["environment"].annotation, fields["environment"].metadata).startswith(
        "environment"
    )
    assert docs.type_name(int | None) == "integer (optional)"
    assert docs.default_text(fields["pre_deploy"]) == "empty"
    assert docs.default_text(fields["env_file_path"]) == '`".env"`'


def test_module_entry_point_prints_the_reference() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "fleetflow.docs"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout == REFERENCE.read_text(), REGENERATE
