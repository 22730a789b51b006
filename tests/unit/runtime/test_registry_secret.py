"""registry_provider/registry_account: the token is a secret from outside git, named by both (pure)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleetflow.errors import ResourceError
from fleetflow.resources import EnvSecrets, NoSecrets, interpolate, load_resources, validate
from fleetflow.runtime.snapshot import worktree_snapshot
from fleetflow.runtime.specs import deploy_spec, registry_secret_name

pytestmark = pytest.mark.unit

TOML = """[[server]]
name = "h"
[[stack]]
name = "app"
[stack.config]
server = "h"
registry_provider = "127.0.0.1:5000"
registry_account = "ci"
"""


def test_the_token_comes_from_the_secret_resolver_named_by_provider_and_account(tmp_path: Path) -> None:
    (tmp_path / "resources.toml").write_text(TOML)
    (tmp_path / "compose.yaml").write_text("services: {a: {image: x}}\n")
    snapshot = worktree_snapshot(tmp_path)
    desired = interpolate(validate(load_resources(snapshot.source, [""])), NoSecrets())
    name = registry_secret_name("127.0.0.1:5000", "ci")
    assert name == "REGISTRY_127_0_0_1_5000_CI"
    spec = deploy_spec("app", desired, snapshot, secrets=EnvSecrets({f"FLEETFLOW_SECRET_{name}": "tok"}))
    assert spec.registry_token is not None
    assert spec.registry_token.get_secret_value() == "tok"
    assert "tok" in [s.get_secret_value() for s in spec.secret_values]
    assert "tok" not in repr(spec)
    assert deploy_spec("app", desired, snapshot).registry_token is None
    with pytest.raises(ResourceError, match=name):
        deploy_spec("app", desired, snapshot, secrets=EnvSecrets({}))
