"""Komodo's key/value lists (``environment``): every form Komodo's own parser accepts.

Komodo (``parse_key_value_list``) reads one pair per line: blank lines and
lines starting with ``#`` or ``//`` are skipped, a leading YAML ``-`` is
dropped, the key ends at the first ``=`` or ``:``, and quotes wrapping the
whole pair (``"KEY=value"``) are removed. fleetflow also accepts ``export``
prefixes and reads quoted values as a dotenv file does (``"a b"`` -> ``a b``,
escapes in double quotes, ``#`` kept inside quotes); an unquoted value ends at
`` #``. In TOML the list may also be an array of such strings, or Komodo's
``[{ variable = "K", value = "V" }]`` tables.

Errors name the line (``environment line 3``) or item; never the value, which
may be a secret.
"""

from __future__ import annotations

import re
from typing import Any

KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "$"}
_QUOTES = {'"', "'"}
_SEPARATOR = re.compile(r"[=:]")
LINE_ERROR = re.compile(r"environment line (\d+)")
LINE_KEY = re.compile(r"""^\s*(?:-\s*)?(?:export\s+)?["']?\s*([A-Za-z_][A-Za-z0-9_.\-]*)\s*["']?\s*[=:]""")
"""The key of a key/value line, for locating it (not for parsing)."""


def _unquote(raw: str, lineno: int) -> str:
    raw = raw.strip()
    if raw[:1] in _QUOTES:
        quote = raw[0]
        end = raw.find(quote, 1)
        while quote == '"' and end > 0 and raw[end - 1] == "\\" and not raw[: end - 1].endswith("\\"):
            end = raw.find(quote, end + 1)
        if end < 0:
            raise ValueError(f"environment line {lineno}: unterminated {quote} quote; close the quote")
        body = raw[1:end]
        if quote == '"':
            body = re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), body)
        return body
    # an unquoted value ends at a ` #` comment
    return re.split(r"\s+#", raw, maxsplit=1)[0].strip()


def _unwrap_pair(key: str, value: str, lineno: int) -> tuple[str, str]:
    """``"KEY=value"`` / ``'KEY: value'``: the quote opening the key closes after the value."""
    quote = key[0]
    match = re.match(rf"^(.*){quote}\s*(?:#.*)?$", value.strip(), re.DOTALL)
    if match is None:
        raise ValueError(f"environment line {lineno}: unterminated {quote} quote around the pair")
    return key[1:].strip(), match.group(1)


def _show(text: str) -> str:
    """The start of a bad line without anything that may be a value: its first word, shortened."""
    word = text.split(maxsplit=1)[0] if text.split() else text
    return repr(word[:30] + ("…" if len(word) > 30 else ""))


def parse_line(line: str, lineno: int) -> tuple[str, str] | None:
    """One line -> ``(key, value)``, or None for a blank or comment line."""
    text = line.strip()
    if not text or text.startswith(("#", "//")):
        return None
    text = text.lstrip("-").strip()
    if text.startswith("export "):
        text = text[len("export ") :].lstrip()
    sep = _SEPARATOR.search(text)
    if sep is None:
        raise ValueError(
            f"environment line {lineno}: expected KEY=VALUE or KEY: VALUE, got {_show(text)} (no `=` or `:`)"
        )
    key, value = text[: sep.start()].strip(), text[sep.end() :]
    if key and key[0] not in _QUOTES and len(key.split()) > 1:
        raise ValueError(
            f"environment line {lineno}: expected KEY=VALUE or KEY: VALUE, but {_show(key)} is followed "
            "by a space, not `=` or `:`"
        )
    if key[:1] in _QUOTES and not (len(key) > 1 and key[-1] == key[0]):
        key, value = _unwrap_pair(key, value, lineno)
    elif len(key) > 1 and key[0] in _QUOTES and key[-1] == key[0]:
        key = key[1:-1].strip()
    if not KEY.match(key):
        raise ValueError(
            f"environment line {lineno}: expected KEY=VALUE or KEY: VALUE, got key {_show(key)}; "
            "a key is letters, digits, `_`, `.` or `-`, not starting with a digit"
        )
    return key, _unquote(value, lineno)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def _item(item: Any, index: int) -> tuple[str, str] | None:
    if isinstance(item, str):
        return parse_line(item, index)
    if isinstance(item, dict) and "variable" in item:
        key = str(item["variable"]).strip()
        if not KEY.match(key):
            raise ValueError(f"environment item {index}: variable {_show(key)} is not a valid key")
        return key, _scalar(item.get("value", ""))
    raise ValueError(
        f'environment item {index}: expected a "KEY=VALUE" string or {{ variable = "KEY", value = "..." }}'
    )


def parse_key_values(value: Any) -> Any:
    """Text, array or table -> an ordered ``dict[str, str]``; later keys win; other types pass through."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return {str(k): _scalar(v) for k, v in value.items()}
    env: dict[str, str] = {}
    if isinstance(value, str):
        pairs = (parse_line(line, n) for n, line in enumerate(value.split("\n"), start=1))
    elif isinstance(value, list):
        pairs = (_item(item, n) for n, item in enumerate(value, start=1))
    else:
        return value  # let pydantic report the type
    for pair in pairs:
        if pair is not None:
            env[pair[0]] = pair[1]
    return env
