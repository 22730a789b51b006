"""compose_inputs: every kind of file reference, resolved and normalised; conservative fallbacks."""

from __future__ import annotations

import pytest

from fleetflow.changes import as_prefix, compose_inputs, repo_path, variables_in


def reader(files: dict[str, str]):  # type: ignore[no-untyped-def]
    return lambda path: files[path].encode() if path in files else None


COMPOSE = """
include:
  - ../../lib/include.yaml
services:
  web:
    env_file: [../../config/common.env, {path: ./web.env, required: false}]
    build: {context: ../../images/web, dockerfile: ../Dockerfile.web}
    volumes:
      - ./conf:/etc/conf:ro
      - data:/data
      - /srv/abs:/abs
      - type: bind
        source: ../shared/certs
        target: /certs
      - type: volume
        source: other
        target: /o
    extends: {file: ../../base/svc.yaml, service: base}
  worker:
    build: ./worker
    volumes: ["${DATA_DIR:-./x}:/d", "./tmpl/${NAME}.conf:/t"]
configs:
  app: {file: ../../config/app.conf}
secrets:
  token: {file: ./secret.txt}
  ext: {external: true}
"""


def test_every_reference_kind_is_collected() -> None:
    files = {
        "stacks/web/compose.yaml": COMPOSE,
        "base/svc.yaml": "services:\n  base:\n    env_file: base.env\n",
        "lib/include.yaml": "services:\n  side:\n    volumes: ['./side:/s']\n",
    }
    inputs = compose_inputs("web", ["stacks/web/compose.yaml"], reader(files), run_directory="stacks/web")
    assert inputs.paths >= {
        "stacks/web/compose.yaml",
        "stacks/web/.env",
        "config/common.env",
        "stacks/web/web.env",
        "images/Dockerfile.web",
        "base/svc.yaml",
        "base/base.env",
        "lib/include.yaml",
        "config/app.conf",
        "stacks/web/secret.txt",
    }
    assert inputs.prefixes == {
        "stacks/web/",
        "images/web/",
        "stacks/web/conf/",
        "stacks/shared/certs/",
        "stacks/web/worker/",
        "stacks/web/tmpl/",
        "lib/side/",
    }
    assert not any(p.startswith(("/", "..")) or "srv" in p for p in inputs.paths)
    assert inputs.covers("config/common.env")
    assert inputs.covers("images/web/src/main.go")
    assert not inputs.covers("images/other/Dockerfile")


def test_unparseable_compose_takes_its_directory() -> None:
    inputs = compose_inputs("s", ["a/b/compose.yaml"], reader({"a/b/compose.yaml": "services: [unclosed"}))
    assert "a/b/" in inputs.prefixes
    assert inputs.covers("a/b/anything.txt")


def test_extends_cycles_terminate_and_missing_files_still_count() -> None:
    files = {
        "x/compose.yaml": "services:\n  a:\n    extends: {file: ../y/other.yaml, service: b}\n",
        "y/other.yaml": "services:\n  b:\n    extends: {file: ../x/compose.yaml, service: a}\n",
    }
    inputs = compose_inputs("s", ["x/compose.yaml", "x/missing.yaml"], reader(files))
    assert {"x/compose.yaml", "y/other.yaml", "x/missing.yaml"} <= inputs.paths


def test_root_build_context_means_whole_repo_and_extra_files() -> None:
    files = {"compose.yaml": "services:\n  a:\n    build: .\n"}
    inputs = compose_inputs("s", ["compose.yaml"], reader(files), extra_files=["extra.env"], variables={"V"})
    assert "" in inputs.prefixes
    assert "extra.env" in inputs.paths
    assert inputs.variables == {"V"}


@pytest.mark.parametrize(
    ("base", "ref", "expected"),
    [
        ("a/b", "../../c.env", "c.env"),
        ("a/b", "./x/../y", "a/b/y"),
        ("a", "../../escape", None),
        ("a", "/etc/passwd", None),
        ("a", "~/x", None),
        ("a", "https://example.invalid/r.git", None),
        ("", ".", ""),
    ],
)
def test_repo_path_normalises(base: str, ref: str, expected: str | None) -> None:
    assert repo_path(base, ref) == expected


def test_helpers() -> None:
    assert as_prefix("a/b/") == "a/b/"
    assert as_prefix("") == ""
    assert variables_in("A=[[DB_HOST]]\nB=[[ x ]] [[TOKEN_2]]") == {"DB_HOST", "TOKEN_2"}
