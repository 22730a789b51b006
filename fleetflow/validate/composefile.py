"""A compose file as the checks see it: parsed once per run (with its spec problems), then rendered."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fleetflow.validate.schema import schema_errors
from fleetflow.validate.yamldoc import YamlDoc, YamlError, parse


@dataclass(frozen=True)
class Parsed:
    """One compose file's text parsed: the document, or the syntax error; and its spec problems."""

    doc: YamlDoc | None
    error: YamlError | None = None
    spec: tuple[tuple[tuple[str | int, ...], str], ...] = ()


@dataclass
class ParseCache:
    """Parsed compose files by (path, text), shared by the stacks of one run."""

    entries: dict[tuple[str, str], Parsed] = field(default_factory=dict)

    def get(self, path: str, text: str) -> Parsed:
        key = (path, text)
        if key not in self.entries:
            try:
                doc = parse(text)
            except YamlError as exc:
                self.entries[key] = Parsed(None, exc)
            else:
                self.entries[key] = Parsed(doc, None, tuple(schema_errors(doc.data)))
        return self.entries[key]


@dataclass
class ComposeFile:
    """One compose file of a stack: repo path, name shown in findings, lines, rendered data."""

    path: str
    shown: str
    doc: YamlDoc
    data: dict[str, Any]

    @property
    def base(self) -> str:
        return posixpath.dirname(self.path)

    def line(self, *path: str | int) -> int | None:
        return self.doc.line_of(path)


def mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
