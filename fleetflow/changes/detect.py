"""Which stacks a change touches, and why (pure).

Inputs: each stack's :class:`StackInputs` (at the new commit, optionally also
at the old one: a file the stack stopped reading still counts once), the
changed repo paths, old/new variable value hashes and old/new stack configs.
Output: ``{stack: [reasons]}`` for the affected stacks only. This narrows the
deploy fingerprint check; it never misses an input change the fingerprint sees.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from fleetflow.changes.inputs import StackInputs

FULL_COMPARISON = "repository history unavailable (first poll or force-push): full comparison"


class _PathIndex:
    """Changed path -> stacks, by exact path and by each directory prefix of the path."""

    def __init__(self, stacks: Iterable[StackInputs]) -> None:
        self.exact: dict[str, set[str]] = defaultdict(set)
        self.prefix: dict[str, set[str]] = defaultdict(set)
        for stack in stacks:
            for path in stack.paths:
                self.exact[path].add(stack.name)
            for prefix in stack.prefixes:
                self.prefix[prefix].add(stack.name)

    def stacks_for(self, path: str) -> set[str]:
        hits = set(self.exact.get(path, ()))
        hits |= self.prefix.get("", set())
        cut = path.find("/")
        while cut != -1:
            hits |= self.prefix.get(path[: cut + 1], set())
            cut = path.find("/", cut + 1)
        return hits


def detect_changes(
    stacks: Iterable[StackInputs],
    changed_paths: Iterable[str] | None,
    *,
    old_variables: Mapping[str, str] | None = None,
    new_variables: Mapping[str, str] | None = None,
    old_configs: Mapping[str, Mapping[str, Any]] | None = None,
    new_configs: Mapping[str, Mapping[str, Any]] | None = None,
    previous: Iterable[StackInputs] = (),
) -> dict[str, list[str]]:
    """``{stack: reasons}`` for every stack whose inputs changed; unaffected stacks are absent.

    ``changed_paths=None`` (history unavailable) flags every stack for a full
    comparison. Variable maps hold value hashes, never values. Config maps are
    compared field by field when both are given; without them ``config_hash``
    of ``previous`` and ``stacks`` is compared.
    """
    current = list(stacks)
    before = {s.name: s for s in previous}
    reasons: dict[str, list[str]] = defaultdict(list)
    if changed_paths is None:
        for stack in current:
            reasons[stack.name].append(FULL_COMPARISON)
    else:
        index = _PathIndex([*current, *(before[s.name] for s in current if s.name in before)])
        for path in sorted(set(changed_paths)):
            for name in index.stacks_for(path):
                reasons[name].append(f"{path} changed")
    old_vars, new_vars = old_variables or {}, new_variables or {}
    for stack in current:
        used = stack.variables | (before[stack.name].variables if stack.name in before else frozenset())
        for var in sorted(used):
            if old_vars.get(var) != new_vars.get(var):
                reasons[stack.name].append(f"variable {var} changed")
        reasons_config = _config_reasons(stack, before.get(stack.name), old_configs, new_configs)
        if reasons_config:
            reasons[stack.name].extend(reasons_config)
    return {name: list(dict.fromkeys(found)) for name, found in reasons.items() if found}


def _config_reasons(
    stack: StackInputs,
    old_stack: StackInputs | None,
    old_configs: Mapping[str, Mapping[str, Any]] | None,
    new_configs: Mapping[str, Mapping[str, Any]] | None,
) -> list[str]:
    if old_configs is not None and new_configs is not None:
        if stack.name not in old_configs:
            return ["stack added"]
        old, new = old_configs[stack.name], new_configs.get(stack.name, {})
        return [
            f"stack config field {key} changed"
            for key in sorted(set(old) | set(new))
            if old.get(key) != new.get(key)
        ]
    if old_stack is not None and old_stack.config_hash != stack.config_hash:
        return ["stack config changed"]
    return []
