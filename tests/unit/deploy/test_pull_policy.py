"""Which services a deploy pulls: never a Docker Hub round trip for an image already on the host."""

from __future__ import annotations

import pytest

from fleetflow.deploy.engine import names_registry, services_to_pull


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("fleetflow/busybox:latest", False),
        ("busybox", False),
        ("registry.lan/app:1", True),
        ("127.0.0.1:27150/x:1", True),
        ("localhost/app", True),
        ("ghcr.io/org/app:2", True),
    ],
)
def test_names_registry(image: str, expected: bool) -> None:
    assert names_registry(image) is expected


def test_present_hub_images_are_not_pulled_registry_and_missing_ones_are() -> None:
    model = {
        "services": {
            "local": {"image": "fleetflow/busybox:latest"},
            "private": {"image": "127.0.0.1:27150/x:1"},
            "missing": {"image": "nginx:1.27"},
            "built": {"build": "."},
        }
    }
    present = {"fleetflow/busybox:latest": "sha256:aa", "127.0.0.1:27150/x:1": "sha256:bb", "nginx:1.27": ""}
    assert services_to_pull(model, present) == ["missing", "private"]


def test_pull_policy_never_build_and_missing_are_honored() -> None:
    model = {
        "services": {
            "never": {"image": "127.0.0.1:27150/never:1", "pull_policy": "never"},
            "never-absent": {"image": "nginx:1.27", "pull_policy": "never"},
            "built": {"image": "127.0.0.1:27150/built:1", "pull_policy": "build"},
            "if-missing": {"image": "127.0.0.1:27150/x:1", "pull_policy": "missing"},
            "if-missing-absent": {"image": "127.0.0.1:27150/y:1", "pull_policy": "if_not_present"},
            "always": {"image": "127.0.0.1:27150/x:1", "pull_policy": "always"},
        }
    }
    present = {"127.0.0.1:27150/never:1": "sha256:aa", "127.0.0.1:27150/x:1": "sha256:bb"}
    assert services_to_pull(model, present) == ["always", "if-missing-absent"]
    assert services_to_pull({"services": {"n": model["services"]["never"]}}, present) == []
