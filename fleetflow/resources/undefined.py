"""Undefined ``[[NAME]]`` references as one grouped error: which names, how often, where first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from fleetflow.errors import Location, ResourceError
from fleetflow.resources.entries import Kind, Resources

_LISTED = 60


class Use(NamedTuple):
    """One use of a name: the entry and the dotted field it is in."""

    kind: Kind
    name: str
    field: str


def _order(location: Location) -> tuple[str, int]:
    return (location.file, location.line or 0)


def undefined_errors(missing: Mapping[str, Sequence[Use]], resources: Resources) -> list[ResourceError]:
    """One error for every undefined name together, located at the first use in file order."""
    if not missing:
        return []
    located = {
        ref: sorted((resources.where(u.kind, u.name, u.field) for u in uses), key=_order)
        for ref, uses in missing.items()
    }
    first = min((locs[0] for locs in located.values()), key=_order)
    if len(missing) == 1:
        ref, uses = next(iter(missing.items()))
        users = list(dict.fromkeys(f"{u.kind.value} {u.name!r}" for u in uses))
        block = ref.lower().replace("_", "-").replace(".", "-")
        if len(uses) == 1:
            message = f"{users[0]} uses [[{ref}]] but no variable or secret {ref} exists."
        else:
            message = (
                f"[[{ref}]] is neither a variable nor a secret — used {len(uses)} times by "
                f"{', '.join(users[:5])}{', …' if len(users) > 5 else ''}."
            )
        hint = (
            f"Add a [[variable]] named {ref}, or provide the secret outside git "
            f"(env FLEETFLOW_SECRET_{ref}, the secrets file, or Prefect Secret block {block})."
        )
        return [ResourceError(message, located[ref][0], hint=hint)]
    names = sorted(missing, key=lambda r: (-len(missing[r]), r))
    listed = ", ".join(f"{r} ({len(missing[r])})" for r in names[:_LISTED])
    more = f", and {len(names) - _LISTED} more" if len(names) > _LISTED else ""
    total = sum(len(u) for u in missing.values())
    message = (
        f"{len(missing)} variables/secrets are not defined: {listed}{more} "
        f"({total} uses; first: {first.file}:{first.line})."
    )
    hint = (
        "Add [[variable]] entries, or provide them as secrets outside git (env FLEETFLOW_SECRET_<NAME>, "
        "the secrets file, or Prefect Secret blocks); variables defined only in Komodo's UI must be "
        "supplied one of these ways."
    )
    return [ResourceError(message, first, hint=hint)]
