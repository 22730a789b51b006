"""Find the line of each ``[[kind]]`` entry and of each key inside it, by scanning TOML text.

``tomllib`` gives values without positions; this scanner walks the same text
and records, per kind, the entries in order (matching the parsed arrays) with
the first line of every dotted field (``name``, ``config.server``,
``config.pre_deploy.command``). Multi-line strings and arrays are skipped so
their content is never mistaken for keys.
"""

from __future__ import annotations

import re

from fleetflow.resources.entries import EntryLines

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?")
_KEY = re.compile(
    r"""^\s*((?:[A-Za-z0-9_\-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_\-]+|"[^"]*"|'[^']*'))*)\s*="""
)


_PART = re.compile(r"""[A-Za-z0-9_\-]+|"[^"]*"|'[^']*'""")


def _dotted(text: str) -> list[str]:
    if '"' not in text and "'" not in text:
        return [part.strip() for part in text.split(".")]
    return [p.strip("\"'") for p in _PART.findall(text)]


_TOKEN = re.compile(r""""{3}|'{3}|"(?:[^"\\]|\\.)*(?:"|$)|'[^']*(?:'|$)|#""")


def _strip_strings(text: str) -> tuple[str, str | None]:
    """Text with string contents and comments removed; the open multi-line quote, if any."""
    out: list[str] = []
    i = 0
    while (token := _TOKEN.search(text, i)) is not None:
        out.append(text[i : token.start()])
        mark = token.group(0)
        if mark == "#":
            return "".join(out), None
        if mark in {'"' * 3, "'" * 3}:
            end = text.find(mark, token.end())
            if end < 0:
                return "".join(out), mark
            i = end + 3
        else:
            i = token.end()
    out.append(text[i:])
    return "".join(out), None


def scan_lines(text: str, file: str) -> dict[str, list[EntryLines]]:
    """Per top-level table name, its ``[[...]]`` entries in order with field lines (1-based)."""
    found: dict[str, list[EntryLines]] = {}
    current: EntryLines | None = None
    prefix: list[str] = []
    open_quote: str | None = None
    depth = 0
    for lineno, line in enumerate(text.splitlines(), start=1):
        if open_quote:
            end = line.find(open_quote)
            if end < 0:
                continue
            line, open_quote = line[end + 3 :], None
        if depth == 0:
            header = _HEADER.match(line)
            if header:
                path = _dotted(header.group(2))
                if header.group(1) == "[[" and len(path) == 1:
                    current = EntryLines(file, lineno, {})
                    found.setdefault(path[0], []).append(current)
                    prefix = []
                elif current is not None and path and found.get(path[0]) and found[path[0]][-1] is current:
                    prefix = path[1:]
                    current.fields.setdefault(".".join(prefix), lineno)
                else:
                    current, prefix = None, []
                continue
            key = _KEY.match(line)
            if key and current is not None:
                current.fields.setdefault(".".join([*prefix, *_dotted(key.group(1))]), lineno)
        if '"' in line or "'" in line or "#" in line:
            code, open_quote = _strip_strings(line)
        else:
            code = line
        depth = max(0, depth + code.count("[") + code.count("{") - code.count("]") - code.count("}"))
    return found
