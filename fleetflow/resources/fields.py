"""Lenient field types of the resource format: lists as strings, environment as text.

Komodo lets a list be a TOML array or one string split on commas/newlines, and
``environment`` be multi-line ``KEY=VALUE`` text (comments, blank lines,
quotes, ``export``) or an array of ``KEY=VALUE`` strings.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "$"}


def split_list(value: Any) -> Any:
    """A TOML array stays; one string splits on commas and newlines; None is empty."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in re.split(r"[,\n]", value) if part.strip()]
    return value


def _unquote(raw: str, lineno: int) -> str:
    raw = raw.strip()
    if raw[:1] in {'"', "'"}:
        quote = raw[0]
        end = raw.find(quote, 1)
        while quote == '"' and end > 0 and raw[end - 1] == "\\" and not raw[: end - 1].endswith("\\"):
            end = raw.find(quote, end + 1)
        if end < 0:
            raise ValueError(f"environment line {lineno}: unterminated {quote} quote")
        body = raw[1:end]
        if quote == '"':
            body = re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), body)
        return body
    # an unquoted value ends at a ` #` comment
    return re.split(r"\s+#", raw, maxsplit=1)[0].strip()


def _parse_line(line: str, lineno: int) -> tuple[str, str] | None:
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    if text.startswith("export "):
        text = text[len("export ") :].lstrip()
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not _KEY.match(key):
        raise ValueError(f"environment line {lineno}: expected KEY=VALUE, got {text[:40]!r}")
    return key, _unquote(value, lineno)


def parse_environment(value: Any) -> Any:
    """``KEY=VALUE`` text or array (or a table) -> an ordered ``dict[str, str]``; later keys win."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return {str(k): v if isinstance(v, str) else str(v) for k, v in value.items()}
    if isinstance(value, str):
        lines: list[Any] = value.splitlines()
    elif isinstance(value, list):
        lines = value
    else:
        return value  # let pydantic report the type
    env: dict[str, str] = {}
    for lineno, line in enumerate(lines, start=1):
        if not isinstance(line, str):
            raise ValueError(f"environment item {lineno}: expected a KEY=VALUE string")
        parsed = _parse_line(line, lineno)
        if parsed:
            env[parsed[0]] = parsed[1]
    return env


StrList = Annotated[list[str], BeforeValidator(split_list)]
"""A list of strings given as an array or a comma/newline separated string."""

EnvMap = Annotated[dict[str, str], BeforeValidator(parse_environment)]
"""Environment variables given as ``KEY=VALUE`` text or an array, kept in order."""
