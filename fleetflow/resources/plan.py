"""The sync plan: desired resources vs. the applied state -> typed, ordered entries.

Pure: no I/O, no Prefect. Secret values never enter a plan: secret variables
are compared by digest and shown as ``***``, and every rendered value passes
through ``Desired.mask``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ValidationError

from fleetflow.errors import Location, ResourceError
from fleetflow.resources.credentials import digest_credentials, is_credential
from fleetflow.resources.entries import KIND_ORDER, MODEL_OF, Kind, Resources, Stack, VariableEntry
from fleetflow.resources.interpolate import MASK, Desired, digest
from fleetflow.resources.order import deploy_rounds


class Action(StrEnum):
    """What applying the plan does to one resource."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    KEEP = "keep"  # would delete, but the sync does not delete
    NO_CHANGE = "no-change"


@dataclass(frozen=True)
class FieldDiff:
    """One changed field (dotted path); values rendered and masked."""

    field: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class PlanEntry:
    """One resource's action, field changes and the reason for it."""

    kind: Kind
    name: str
    action: Action
    diffs: tuple[FieldDiff, ...] = ()
    reason: str = ""


@dataclass(frozen=True)
class Plan:
    """Every resource's action in stable order, plus the stack deploy rounds."""

    entries: tuple[PlanEntry, ...]
    rounds: tuple[tuple[str, ...], ...] = ()

    @property
    def changes(self) -> tuple[PlanEntry, ...]:
        return tuple(e for e in self.entries if e.action in {Action.CREATE, Action.UPDATE, Action.DELETE})

    def counts(self) -> dict[Action, int]:
        return {a: sum(1 for e in self.entries if e.action is a) for a in Action}


def state_of(entry: BaseModel) -> dict[str, Any]:
    """What the state DB stores for an entry: its config as written; secret values as digests."""
    data: dict[str, Any] = digest_credentials(entry.model_dump(mode="json", exclude={"name"}))
    if isinstance(entry, VariableEntry) and entry.is_secret:
        data["value"] = digest(entry.value)
    return data


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(_flatten(value, f"{path}."))
        else:
            flat[path] = value
    return flat


def _normalize(kind: Kind, name: str, current: Mapping[str, Any]) -> dict[str, Any]:
    """Current state with defaults filled in, so a missing field equals its default."""
    raw = dict(current)
    secret_digest = raw.get("value") if kind is Kind.VARIABLE and raw.get("is_secret") else None
    try:
        data = state_of(MODEL_OF[kind].model_validate({**raw, "name": name}))
    except ValidationError:
        return _flatten(raw)
    if isinstance(secret_digest, str) and secret_digest.startswith("sha256:"):
        data["value"] = secret_digest
    return _flatten(data)


def _show(value: Any, secret: bool, desired: Desired | None) -> str | None:
    if value is None:
        return None
    if secret:
        return MASK
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return desired.mask(text) if desired is not None else text


def _diff(kind: Kind, old: dict[str, Any], new: dict[str, Any], desired: Desired | None) -> list[FieldDiff]:
    secret = kind is Kind.VARIABLE and bool(new.get("is_secret") or old.get("is_secret"))
    if secret:
        old, new = dict(old), dict(new)
        for side in (old, new):
            value = side.get("value")
            if isinstance(value, str) and not value.startswith("sha256:"):
                side["value"] = digest(value)
    diffs = []
    for path in sorted(set(old) | set(new)):
        if old.get(path) != new.get(path):
            masked = (secret and path == "value") or is_credential(path)
            diffs.append(
                FieldDiff(path, _show(old.get(path), masked, desired), _show(new.get(path), masked, desired))
            )
    return diffs


def _tagged(tags: Any, match_tags: Sequence[str]) -> bool:
    return not match_tags or (isinstance(tags, list) and set(match_tags) <= set(tags))


def plan(
    desired: Desired | Resources,
    current: Mapping[str, Mapping[str, Mapping[str, Any]]],
    *,
    delete: bool = False,
    match_tags: Sequence[str] = (),
    deploy: Iterable[str] | None = None,
) -> Plan:
    """Compare desired resources with the applied state; order stacks to deploy by ``after``.

    ``current`` maps kind name -> resource name -> stored state (``state_of``).
    ``deploy`` overrides which stacks deploy (default: ``deploy = true`` ones created or updated).
    """
    resources = desired.resources if isinstance(desired, Desired) else desired
    shown = desired if isinstance(desired, Desired) else None
    entries: list[PlanEntry] = []
    for kind in sorted(Kind, key=KIND_ORDER.__getitem__):
        wanted = {n: e for n, e in resources.of(kind).items() if _tagged(getattr(e, "tags", []), match_tags)}
        have = {
            n: c for n, c in current.get(kind.value, {}).items() if _tagged(c.get("tags", []), match_tags)
        }
        for name in sorted(set(wanted) | set(have)):
            if name not in have:
                diffs = _diff(kind, {}, _flatten(state_of(wanted[name])), shown)
                entries.append(
                    PlanEntry(kind, name, Action.CREATE, tuple(diffs), "new in the resource files")
                )
            elif name not in wanted:
                action = Action.DELETE if delete else Action.KEEP
                why = "sync deletes it" if delete else "would delete, kept: the sync's delete/managed is off"
                entries.append(PlanEntry(kind, name, action, (), f"not in the resource files; {why}"))
            else:
                diffs = _diff(
                    kind, _normalize(kind, name, have[name]), _flatten(state_of(wanted[name])), shown
                )
                action = Action.UPDATE if diffs else Action.NO_CHANGE
                reason = f"{len(diffs)} field(s) changed" if diffs else "matches the resource files"
                entries.append(PlanEntry(kind, name, action, tuple(diffs), reason))
    entries = [_note_held(e, resources.stacks) for e in entries]
    return Plan(tuple(entries), _rounds(resources.stacks, entries, deploy))


HELD = "not deployed: deploy = false"


def _note_held(entry: PlanEntry, stacks: Mapping[str, Stack]) -> PlanEntry:
    """A stack written with ``deploy = false``: its config is applied, the plan says it never deploys."""
    stack = stacks.get(entry.name) if entry.kind is Kind.STACK else None
    if stack is None or not stack.held or entry.action in {Action.DELETE, Action.KEEP}:
        return entry
    return replace(entry, reason=f"{entry.reason}; {HELD}")


def _rounds(
    stacks: Mapping[str, Stack], entries: Sequence[PlanEntry], deploy: Iterable[str] | None
) -> tuple[tuple[str, ...], ...]:
    if deploy is None:
        changed = {
            e.name for e in entries if e.kind is Kind.STACK and e.action in {Action.CREATE, Action.UPDATE}
        }
        deploy = [n for n in changed if stacks[n].deploy and not stacks[n].template]
    deploy = [n for n in deploy if n not in stacks or not stacks[n].held]
    try:
        rounds = deploy_rounds({n: s.after for n, s in stacks.items()}, deploy)
    except ValueError as exc:
        raise ResourceError(
            str(exc), Location("<stacks>", None, "after"), hint="Run validate() first."
        ) from exc
    return tuple(tuple(r) for r in rounds)
