"""Bounded parsing: size and nesting limits for what arrives from repositories and the network.

Each limit has a default and an environment override (``FLEETFLOW_LIMIT_<NAME>``, a whole
number). Exceeding one is a :class:`LimitExceeded` with a one-line message naming the input,
the limit and its variable; HTTP answers it with 413 (size) or 400 (nesting). A parser's own
``RecursionError`` is turned into the same error, so no input ends in a traceback.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import yaml

from fleetflow.errors import ConfigError, FleetflowError

T = TypeVar("T")
_YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

DEFAULTS: dict[str, int] = {
    "TOML_BYTES": 1 << 20,
    "TOML_DEPTH": 32,
    "COMPOSE_BYTES": 4 << 20,
    "COMPOSE_DEPTH": 64,
    "JSON_DEPTH": 32,
    "AUTH_FAILURES": 20,
}
"""Limit name -> default: resource TOML files 1 MiB / depth 32, compose YAML 4 MiB / depth 64,
webhook JSON depth 32 (its size is the receiver's ``max_body_bytes``, 1 MiB); 20 failed API
authentications per client in 60 s before 429."""


class LimitExceeded(FleetflowError):
    """An input is larger or deeper than its limit; ``size`` tells 413 from 400."""

    def __init__(self, message: str, *, size: bool) -> None:
        super().__init__(message)
        self.size = size


def limit(name: str) -> int:
    """The limit ``name`` (a key of :data:`DEFAULTS`), from ``FLEETFLOW_LIMIT_<name>`` when set."""
    raw = os.environ.get(f"FLEETFLOW_LIMIT_{name}", "").strip()
    if not raw:
        return DEFAULTS[name]
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"FLEETFLOW_LIMIT_{name}={raw!r} is not a positive whole number")
    return int(raw)


def depth(value: object) -> int:
    """Nesting depth of dicts and lists in ``value`` (iterative: no recursion on deep input)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children)
    return deepest


def _bounded(what: str, kind: str, size: int, parse: Callable[[], T]) -> T:
    max_bytes = limit(f"{kind}_BYTES") if f"{kind}_BYTES" in DEFAULTS else 0
    if max_bytes and size > max_bytes:
        raise LimitExceeded(
            f"{what} is {size} bytes, over the {max_bytes}-byte limit (FLEETFLOW_LIMIT_{kind}_BYTES)",
            size=True,
        )
    max_depth = limit(f"{kind}_DEPTH")
    too_deep = f"{what} nests deeper than {max_depth} levels (FLEETFLOW_LIMIT_{kind}_DEPTH)"
    try:
        value = parse()
    except RecursionError:
        raise LimitExceeded(too_deep, size=False) from None
    if depth(value) > max_depth:
        raise LimitExceeded(too_deep, size=False)
    return value


def load_toml(text: str, what: str) -> dict[str, Any]:
    """``tomllib.loads`` within the TOML limits (TOMLDecodeError for bad syntax, as before)."""
    return _bounded(what, "TOML", len(text.encode()), lambda: tomllib.loads(text))


def load_compose(raw: bytes, what: str) -> Any:
    """A compose file's YAML within the compose limits (``yaml.YAMLError`` for bad syntax)."""
    return _bounded(what, "COMPOSE", len(raw), lambda: yaml.load(raw, Loader=_YAML_LOADER))  # noqa: S506


def load_json(body: bytes, what: str) -> Any:
    """JSON within the JSON depth limit (ValueError for bad syntax); size is the caller's limit."""
    return _bounded(what, "JSON", len(body), lambda: json.loads(body))


@dataclass(frozen=True)
class Described:
    """A limit as documented: name, variable, default."""

    name: str
    variable: str
    default: int


def described() -> list[Described]:
    """Every limit with its variable and default (for the README and the docs)."""
    return [Described(n, f"FLEETFLOW_LIMIT_{n}", d) for n, d in DEFAULTS.items()]
