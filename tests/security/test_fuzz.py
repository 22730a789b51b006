"""Hypothesis fuzzing of what a repository and a forge control: resource trees (paths, names,
nesting), compose files and webhook bodies. Every case ends in fleetflow's own error or success,
never a traceback, and never a write or delete outside the stacks root."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from fleetflow.changes.inputs import compose_inputs
from fleetflow.deploy.materialize import layout_for, materialize
from fleetflow.deploy.models import DeploySpec
from fleetflow.errors import FleetflowError
from fleetflow.hosts import LocalHost
from fleetflow.resources import load_resources
from fleetflow.resources.sources import MemorySource
from fleetflow.webhook import create_app
from tests.unit.webhook.webhook_helper import SECRET, signed

pytestmark = pytest.mark.unit


def fuzz(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )


SEGMENTS = st.sampled_from(["..", ".", "a", "b", "link", "", "~", ".fleetflow", "x y", "é", "$(id)", "\n"])
PATHS = st.builds(
    lambda lead, parts: lead + "/".join(parts),
    st.sampled_from(["", "/", "./", "../"]),
    st.lists(SEGMENTS, max_size=5),
)
NAMES = st.one_of(
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,12}", fullmatch=True),
    st.text(alphabet="aZ0 ./$()-_\\\"'", max_size=12),
)


def _toml_string(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def _array(items: Iterable[str]) -> str:
    return "[" + ", ".join(items) + "]"


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@st.composite
def resource_trees(draw: st.DrawFn) -> str:
    stacks = []
    for _ in range(draw(st.integers(1, 3))):
        fields = {
            "server": _toml_string("s"),
            "project_name": _toml_string(draw(st.sampled_from(["", "ok", "Bad Name", "a.b"]))),
            "run_directory": _toml_string(draw(PATHS)),
            "env_file_path": _toml_string(draw(PATHS)),
            "file_paths": "[" + ", ".join(_toml_string(p) for p in draw(st.lists(PATHS, max_size=2))) + "]",
            "additional_env_files": "["
            + ", ".join(_toml_string(p) for p in draw(st.lists(PATHS, max_size=2)))
            + "]",
            "config_files": "["
            + ", ".join(f"{{ path = {_toml_string(p)} }}" for p in draw(st.lists(PATHS, max_size=2)))
            + "]",
            "extra_args": _nested(draw(st.integers(0, 60))),
        }
        body = "\n".join(f"{k} = {v}" for k, v in fields.items())
        stacks.append(f"[[stack]]\nname = {_toml_string(draw(NAMES))}\n[stack.config]\n{body}\n")
    return '[[server]]\nname = "s"\n\n' + "\n".join(stacks)


@fuzz(100)
@given(resource_trees())
def test_resource_trees_load_or_fail_with_fleetflow_errors(text: str) -> None:
    result = load_resources(MemorySource({"r.toml": text}))
    for error in result.errors:
        assert isinstance(error, FleetflowError)
        assert str(error).startswith("r.toml"), str(error)
        assert "Traceback" not in str(error)


def _snapshot(root: Path) -> dict[str, bytes | None]:
    return {str(p): (p.read_bytes() if p.is_file() else None) for p in sorted(root.rglob("*"))}


@fuzz(60)
@given(
    run_dir=PATHS,
    env_file=PATHS,
    extra=st.lists(PATHS, max_size=2),
    compose=st.lists(PATHS, max_size=2),
    files=st.dictionaries(PATHS, st.binary(max_size=8), max_size=3),
    environment=st.dictionaries(
        st.from_regex(r"[A-Z]{1,4}", fullmatch=True), st.text(max_size=5), max_size=2
    ),
)
def test_materialize_never_touches_anything_outside_the_stack_dir(
    run_dir: str, env_file: str, extra: list[str], compose: list[str], files: dict[str, bytes],
    environment: dict[str, str],
) -> None:  # fmt: skip
    fields = {"run_directory": run_dir, "file_paths": tuple(compose), "env_file_path": env_file}
    fields |= {"additional_env_files": tuple(extra), "environment": environment}
    try:
        spec = DeploySpec(stack="app", server="h", commit="c", files=files, **fields)
    except ValidationError:
        assume(False)
        return
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        outside = base / "outside"
        (outside / "folder").mkdir(parents=True)
        (outside / "canary.env").write_text("canary\n")
        (outside / "folder" / "inner").write_text("inner\n")
        stacks = base / "stacks"
        (stacks / "app").mkdir(parents=True)
        os.symlink(outside / "folder", stacks / "app" / "link")
        os.symlink(outside, stacks / "app" / "a")
        before = _snapshot(outside)
        host = LocalHost("h", stacks_root=stacks)
        with contextlib.suppress(FleetflowError):
            asyncio.run(materialize(host, spec, layout_for(spec, host.stacks_root)))
        assert _snapshot(outside) == before
        assert sorted(p.name for p in base.iterdir()) == ["outside", "stacks"]


YAML_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8), PATHS),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=20,
)


@fuzz(80)
@given(
    services=st.dictionaries(
        st.text(min_size=1, max_size=6),
        st.fixed_dictionaries(
            {},
            optional={
                "env_file": YAML_VALUES,
                "build": YAML_VALUES,
                "volumes": YAML_VALUES,
                "extends": YAML_VALUES,
                "image": YAML_VALUES,
            },
        ),
        max_size=3,
    ),
    top=st.dictionaries(st.sampled_from(["include", "configs", "secrets", "x"]), YAML_VALUES, max_size=2),
    raw=st.binary(max_size=64),
    depth=st.integers(0, 200),
)
def test_compose_files_never_break_change_detection(
    services: dict[str, Any], top: dict[str, Any], raw: bytes, depth: int
) -> None:
    import yaml

    docs = {
        "app/compose.yaml": yaml.safe_dump({"services": services, **top}).encode(),
        "app/raw.yaml": raw,
        "app/deep.yaml": b"x: " + b"[" * depth + b"]" * depth,
    }
    inputs = compose_inputs("s", list(docs), docs.get, run_directory="app", extra_files=[".env"])
    assert all(not p.startswith(("/", "../")) for p in inputs.paths)
    assert all(not p.startswith(("/", "../")) for p in inputs.prefixes)


JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=8)),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=25,
)


@st.composite
def webhook_bodies(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["json", "push", "deep", "bytes"]))
    if kind == "json":
        return json.dumps(draw(JSON_VALUES)).encode()
    if kind == "push":
        ref = draw(st.one_of(st.just("refs/heads/main"), st.text(max_size=12), st.integers()))
        after = draw(st.one_of(st.just("a" * 40), st.text(max_size=41), st.none()))
        return json.dumps({"ref": ref, "after": after, "repository": draw(JSON_VALUES)}).encode()
    if kind == "deep":
        n = draw(st.integers(1, 3000))
        return b'{"ref": "refs/heads/main", "x": ' + b"[" * n + b"]" * n + b"}"
    return draw(st.binary(max_size=128))


def test_webhook_bodies_end_in_a_recorded_answer() -> None:
    recorded: list[object] = []

    async def handler(_: object) -> None:
        return None

    app = create_app(handler, {"infra": SECRET}, recorder=recorded.append)

    @settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        body=webhook_bodies(),
        provider=st.sampled_from(["github", "gitea", "forgejo", "gitlab"]),
        sign=st.booleans(),
    )
    def one(body: bytes, provider: str, sign: bool) -> None:
        headers = signed(provider, body) if sign else {"Content-Type": "application/json"}

        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=app, client=(f"10.9.{len(recorded) % 250}.1", 1))
            async with httpx.AsyncClient(transport=transport, base_url="http://r") as client:
                return await client.post(f"/webhook/{provider}/infra", content=body, headers=headers)

        before = len(recorded)
        response = asyncio.run(send())
        assert response.status_code in {200, 202, 400, 401, 403, 413, 429}, response.text
        assert "delivery_id" in response.json()
        assert len(recorded) > before, "every request gets a delivery record"

    one()
