"""Compose variable interpolation, evaluated against a stack's rendered environment.

Compose syntax: ``$$`` (a literal ``$``), ``$VAR``, ``${VAR}``, ``${VAR:-default}``,
``${VAR-default}``, ``${VAR:?message}``, ``${VAR?message}``, ``${VAR:+alt}``,
``${VAR+alt}``; defaults and alternatives may nest. A variable with no value
and no default is a *missing* use (compose substitutes ""); a failed ``?``
form is a *required* use, carrying its message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPS = (":-", ":?", ":+", "-", "?", "+")


@dataclass(frozen=True)
class Use:
    """A variable use that does not resolve: ``missing`` (warning) or ``required`` (error)."""

    name: str
    kind: str
    message: str = ""


class _Scanner:
    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.uses: list[Use] = []

    def render(self, text: str) -> str:
        out: list[str] = []
        i = 0
        while i < len(text):
            ch = text[i]
            if ch != "$" or i + 1 >= len(text):
                out.append(ch)
                i += 1
                continue
            nxt = text[i + 1]
            if nxt == "$":
                out.append("$")
                i += 2
            elif nxt == "{":
                end = _closing(text, i + 2)
                if end < 0:  # unterminated: compose rejects it; keep the text
                    out.append(text[i:])
                    break
                out.append(self.braced(text[i + 2 : end]))
                i = end + 1
            elif m := _NAME.match(text, i + 1):
                out.append(self.lookup(m.group(0), None, ""))
                i = m.end()
            else:
                out.append(ch)
                i += 1
        return "".join(out)

    def braced(self, body: str) -> str:
        m = _NAME.match(body)
        if not m:
            return "${" + body + "}"
        name, rest = m.group(0), body[m.end() :]
        for op in _OPS:
            if rest.startswith(op):
                return self.lookup(name, op, rest[len(op) :])
        return self.lookup(name, None, "")

    def lookup(self, name: str, op: str | None, arg: str) -> str:
        value = self.env.get(name)
        empty = not value
        if op in (":-", "-"):
            use_default = value is None or (op == ":-" and empty)
            return self.render(arg) if use_default else str(value)
        if op in (":+", "+"):
            use_alt = value is not None and not (op == ":+" and empty)
            return self.render(arg) if use_alt else ""
        if op in (":?", "?"):
            if value is None or (op == ":?" and empty):
                self.uses.append(Use(name, "required", self.render(arg)))
                return ""
            return str(value)
        if value is None:
            self.uses.append(Use(name, "missing"))
            return ""
        return value


def _closing(text: str, start: int) -> int:
    depth = 1
    i = start
    while i < len(text):
        if text.startswith("${", i):
            depth += 1
            i += 2
            continue
        if text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def render(text: str, env: Mapping[str, str]) -> tuple[str, list[Use]]:
    """``text`` interpolated with ``env``, and the uses that did not resolve."""
    if "$" not in text:
        return text, []
    scanner = _Scanner(env)
    return scanner.render(text), scanner.uses


Path = tuple[str | int, ...]


def render_data(data: Any, env: Mapping[str, str]) -> tuple[Any, list[tuple[Path, Use]]]:
    """Every string value of ``data`` interpolated; the unresolved uses with their paths."""
    found: list[tuple[Path, Use]] = []

    def walk(value: Any, path: Path) -> Any:
        if isinstance(value, str):
            text, uses = render(value, env)
            found.extend((path, u) for u in uses)
            return text
        if isinstance(value, Mapping):
            return {k: walk(v, (*path, str(k))) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, (*path, i)) for i, v in enumerate(value)]
        return value

    return walk(data, ()), found
