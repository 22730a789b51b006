"""A compose file parsed with the line of every key and item, and Compose's ``!reset``/``!override`` tags.

``parse`` returns the data (``!reset`` keys dropped, ``!override`` values kept as
written) and a map from path (keys and list indexes) to the 1-based line it
starts on, or raises ``YamlError`` with the line of the syntax error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]
_BASE: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Reset:
    """Marks a ``!reset`` value: the key is removed from the merged model."""


RESET = _Reset()


class _Loader(_BASE):  # type: ignore[valid-type,misc]
    """The safe loader plus Compose's merge tags."""


def _reset(loader: yaml.SafeLoader, node: yaml.Node) -> _Reset:
    return RESET


def _override(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)  # type: ignore[arg-type]


_Loader.add_constructor("!reset", _reset)
_Loader.add_constructor("!override", _override)


class YamlError(ValueError):
    """The text is not YAML: message and 1-based line."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class YamlDoc:
    """Parsed data and the line of each path."""

    data: Any
    lines: dict[Path, int] = field(default_factory=dict)

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """The line of ``path``, else of its nearest parent that has one."""
        key = tuple(path)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return self.lines.get(())


def _drop_resets(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _drop_resets(v) for k, v in value.items() if v is not RESET}
    if isinstance(value, list):
        return [_drop_resets(v) for v in value if v is not RESET]
    return value


def _index(node: yaml.Node, path: Path, lines: dict[Path, int], depth: int = 0) -> None:
    if depth > 64:
        return
    if isinstance(node, yaml.MappingNode):
        merges: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *anchor`, indexed after own keys
                merges += value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                continue
            child = (*path, str(key_node.value))
            lines.setdefault(child, key_node.start_mark.line + 1)
            _index(value_node, child, lines, depth + 1)
        for merged in merges:
            _index(merged, path, lines, depth + 1)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            child = (*path, i)
            lines.setdefault(child, item.start_mark.line + 1)
            _index(item, child, lines, depth + 1)


def parse(text: str) -> YamlDoc:
    """Parse one YAML document with its lines; ``YamlError`` on bad syntax."""
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader with two extra tags
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or str(exc)
        context = f" ({exc.context})" if exc.context else ""
        raise YamlError(f"invalid YAML: {problem}{context}", mark.line + 1 if mark else None) from exc
    except yaml.YAMLError as exc:
        raise YamlError(f"invalid YAML: {exc}", None) from exc
    lines: dict[Path, int] = {}
    if root is not None:
        lines[()] = root.start_mark.line + 1
        _index(root, (), lines)
    return YamlDoc(_drop_resets(data), lines)
