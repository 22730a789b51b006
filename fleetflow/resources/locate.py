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


def _dotted(text: str) -> list[str]:
    parts = re.findall(r"""[A-Za-z0-9_\-]+|"[^"]*"|'[^']*'""", text)
    return [p.strip("\"'") for p in parts]


def _strip_strings(text: str) -> tuple[str, str | None]:
    """Text with string contents and comments removed; the open multi-line quote, if any."""
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "#":
            break
        triple = text[i : i + 3]
        if triple in {'"""', "'''"}:
            end = text.find(triple, i + 3)
            if end < 0:
                return "".join(out), triple
            i = end + 3
            continue
        if ch in {'"', "'"}:
            j = i + 1
            while j < len(text) and text[j] != ch:
                j += 2 if ch == '"' and text[j] == "\\" else 1
            i = j + 1
            continue
        out.append(ch)
        i += 1
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
        code, open_quote = _strip_strings(line)
        depth = max(0, depth + code.count("[") + code.count("{") - code.count("]") - code.count("}"))
    return found
