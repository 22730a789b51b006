"""examples/homelab loads, validates and plans cleanly, and is deployable on the test bed's image."""

from __future__ import annotations

from pathlib import Path

import yaml

from fleetflow.resources import Action, NoSecrets, Reach, interpolate, load_resources, plan, validate

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "homelab"


def test_example_loads_without_errors_or_warnings() -> None:
    loaded = validate(load_resources(EXAMPLE, ["syncs"]))
    assert [str(e) for e in loaded.errors] == []
    assert [str(w) for w in loaded.warnings] == []
    assert loaded.resources.servers["local"].config.reach is Reach.LOCAL
    assert set(loaded.resources.stacks) == {"whoami-blue", "whoami-green", "proxy", "heartbeat"}
    sync = loaded.resources.syncs["homelab"]
    assert sync.config.resource_path == ["syncs"]


def test_example_needs_no_secret_and_plans_in_rounds() -> None:
    loaded = validate(load_resources(EXAMPLE, ["syncs"]))
    desired = interpolate(loaded, NoSecrets())
    assert desired.secret_names == frozenset()
    assert desired.stacks["whoami-blue"].config.environment["MESSAGE"] == "hello from fleetflow (blue)"
    result = plan(desired, {})
    assert {e.action for e in result.entries} == {Action.CREATE}
    assert result.rounds == (("heartbeat", "proxy"), ("whoami-blue", "whoami-green"))


def test_example_compose_files_use_only_the_testbed_image_and_no_ports() -> None:
    compose_files = sorted(EXAMPLE.rglob("compose.yaml"))
    assert len(compose_files) == 3
    healthchecks = 0
    for path in compose_files:
        model = yaml.safe_load(path.read_text())
        for service in model["services"].values():
            assert service["image"] == "fleetflow/busybox:latest", path
            assert "ports" not in service, path
            healthchecks += "healthcheck" in service
    assert healthchecks == 1
