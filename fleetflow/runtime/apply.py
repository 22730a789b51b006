"""Apply a validated resource plan to the state DB, with revision checks.

Called only after load, validation, interpolation and planning all passed, so
a bad file never leaves the DB half-applied. Each write names the revision it
read; a concurrent writer makes it fail loudly (``StaleWriteError``).
"""

from __future__ import annotations

from fleetflow.resources import Action, Desired, Kind, Plan, state_of
from fleetflow.store import ResourceRecord, StateStore

KINDS = tuple(k.value for k in Kind)


def read_current(store: StateStore) -> dict[str, dict[str, ResourceRecord]]:
    """Applied resources per kind and name, with their revisions."""
    return {kind: {r.name: r for r in store.list_resources(kind)} for kind in KINDS}


def as_state(current: dict[str, dict[str, ResourceRecord]]) -> dict[str, dict[str, dict[str, object]]]:
    """The planner's view of ``current``: configs only."""
    return {kind: {name: rec.config for name, rec in recs.items()} for kind, recs in current.items()}


def apply_plan(
    store: StateStore,
    plan: Plan,
    desired: Desired,
    current: dict[str, dict[str, ResourceRecord]],
    commit: str,
) -> int:
    """Write every create/update/delete of ``plan``; return how many resources were written."""
    written = 0
    for entry in plan.changes:
        kind = entry.kind.value
        seen = current.get(kind, {}).get(entry.name)
        expected = seen.revision if seen is not None else 0
        if entry.action is Action.DELETE:
            store.delete_resource(kind, entry.name, commit=commit, expected_revision=expected)
        else:
            model = desired.resources.of(entry.kind)[entry.name]
            store.put_resource(kind, entry.name, state_of(model), commit, expected)
        written += 1
    return written
