"""Findings 8 and 11: nesting and size limits for resource TOML, compose YAML and webhook JSON,
each exceeded with a one-line error (400/413 over HTTP), never a RecursionError or a 500."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from fleetflow.changes.inputs import compose_inputs
from fleetflow.limits import DEFAULTS, LimitExceeded, load_json
from fleetflow.resources import load_resources
from fleetflow.webhook import create_app
from tests.unit.webhook.webhook_helper import SECRET, serve_in_process, signed

pytestmark = pytest.mark.unit


def _errors(tmp_path: Path, text: str) -> list[str]:
    (tmp_path / "r.toml").write_text(text)
    return [str(e) for e in load_resources(tmp_path).errors]


@pytest.mark.parametrize(
    "text",
    [
        "x = " + "[" * 1000 + "]" * 1000 + "\n",
        "x = " + "{a = " * 1000 + "1" + "}" * 1000 + "\n",
        "[[stack]]\nname = 'a'\n[stack.config]\n" + ".".join(["k"] * 200) + " = 1\n",
    ],
    ids=["arrays", "inline-tables", "dotted-keys"],
)
def test_deep_toml_is_a_one_line_error(tmp_path: Path, text: str) -> None:
    errors = _errors(tmp_path, text)
    assert len(errors) == 1, errors
    assert "nests deeper than 32 levels" in errors[0]
    assert errors[0].startswith("r.toml")
    assert "\n" not in errors[0]


def test_large_toml_is_refused_before_parsing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    body = "# padding\n" * ((DEFAULTS["TOML_BYTES"] // 10) + 1)
    [error] = _errors(tmp_path, body)
    assert "over the 1048576-byte limit (FLEETFLOW_LIMIT_TOML_BYTES)" in error
    monkeypatch.setenv("FLEETFLOW_LIMIT_TOML_BYTES", str(4 << 20))
    assert _errors(tmp_path, body) == []


def test_deep_compose_yaml_counts_its_directory_and_does_not_crash() -> None:
    deep = b"services:\n  web:\n    x: " + b"[" * 5000 + b"]" * 5000 + b"\n"
    inputs = compose_inputs("s", ["app/compose.yaml"], lambda _p: deep)
    assert "app/" in inputs.prefixes


def test_deep_json_is_a_limit_error() -> None:
    with pytest.raises(LimitExceeded, match="deeper than 32"):
        load_json(b"[" * 100_000 + b"]" * 100_000, "push payload")


async def test_signed_100000_deep_webhook_body_gets_400_and_a_delivery_record() -> None:
    seen: list[object] = []

    async def handler(_: object) -> None:
        return None

    app = create_app(handler, {"infra": SECRET}, recorder=seen.append)
    body = b'{"ref": "refs/heads/main", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    async with serve_in_process(app) as client:
        response: httpx.Response = await client.post(
            "/webhook/github/infra", content=body, headers=signed("github", body)
        )
    assert response.status_code == 400, response.text
    assert "deeper than" in response.json()["reason"]
    assert seen, "the rejection must be recorded"
