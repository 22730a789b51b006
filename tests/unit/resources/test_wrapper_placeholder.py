"""``[[COMPOSE_COMMAND]]`` in ``compose_cmd_wrapper`` is Komodo's placeholder, not a variable (pure)."""

from __future__ import annotations

import pytest

from fleetflow.resources import EnvSecrets, MemorySource, interpolate, load_resources, validate

pytestmark = pytest.mark.unit

TOML = """[[server]]
name = "h"
[[stack]]
name = "app"
[stack.config]
server = "h"
compose_cmd_wrapper = "sops exec-env [[SOPS_FILE]] '[[COMPOSE_COMMAND]]'"
"""


def test_the_placeholder_needs_no_variable_and_survives_interpolation() -> None:
    source = MemorySource({"resources.toml": TOML, "compose.yaml": "services: {a: {image: x}}\n"})
    secrets = EnvSecrets({"SOPS_FILE": "secrets.env"}, prefix="")
    loaded = validate(load_resources(source), secrets=secrets)
    assert loaded.errors == []
    wrapper = interpolate(loaded, secrets).stacks["app"].config.compose_cmd_wrapper
    assert wrapper == "sops exec-env secrets.env '[[COMPOSE_COMMAND]]'"


def test_other_undefined_names_in_the_wrapper_are_still_errors() -> None:
    source = MemorySource({"resources.toml": TOML, "compose.yaml": "services: {a: {image: x}}\n"})
    messages = [str(e) for e in validate(load_resources(source), secrets=EnvSecrets({}, prefix="")).errors]
    assert any("SOPS_FILE" in m for m in messages), messages
    assert not any("COMPOSE_COMMAND" in m for m in messages), messages
