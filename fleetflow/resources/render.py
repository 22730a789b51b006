"""A plan as text (for the CLI) and as rows (for a Prefect table artifact)."""

from __future__ import annotations

from fleetflow.resources.plan import Action, Plan

_SIGN = {Action.CREATE: "+", Action.UPDATE: "~", Action.DELETE: "-", Action.KEEP: "!", Action.NO_CHANGE: "="}
_MAX_VALUE = 80


def _short(value: str | None) -> str:
    if value is None:
        return "(unset)"
    if value == "":
        return '""'
    one_line = value.replace("\n", "\\n")
    return one_line if len(one_line) <= _MAX_VALUE else one_line[: _MAX_VALUE - 1] + "…"


def summary(plan: Plan) -> str:
    """``2 to create, 1 to update, 0 to delete, 1 kept, 7 unchanged``."""
    c = plan.counts()
    return (
        f"{c[Action.CREATE]} to create, {c[Action.UPDATE]} to update, {c[Action.DELETE]} to delete, "
        f"{c[Action.KEEP]} kept, {c[Action.NO_CHANGE]} unchanged"
    )


def render_text(plan: Plan, *, show_unchanged: bool = False) -> str:
    """Human-readable plan: one line per resource, indented field changes, deploy rounds."""
    lines = [f"Plan: {summary(plan)}"]
    for entry in plan.entries:
        if entry.action is Action.NO_CHANGE and not show_unchanged:
            continue
        lines.append(
            f"{_SIGN[entry.action]} {entry.kind.value} {entry.name}: {entry.action.value} ({entry.reason})"
        )
        if entry.action is Action.UPDATE:
            lines.extend(f"    {d.field}: {_short(d.old)} -> {_short(d.new)}" for d in entry.diffs)
    if plan.rounds:
        lines.append("Deploy order:")
        lines.extend(f"  round {i}: {', '.join(r)}" for i, r in enumerate(plan.rounds, start=1))
    return "\n".join(lines)


def render_rows(plan: Plan) -> list[dict[str, str]]:
    """One row per changed field (or per resource without field changes) for a table artifact."""
    rows: list[dict[str, str]] = []
    for entry in plan.entries:
        base = {"kind": entry.kind.value, "name": entry.name, "action": entry.action.value}
        if entry.action is Action.UPDATE:
            for d in entry.diffs:
                rows.append(
                    {
                        **base,
                        "field": d.field,
                        "old": _short(d.old),
                        "new": _short(d.new),
                        "reason": entry.reason,
                    }
                )
        else:
            rows.append({**base, "field": "", "old": "", "new": "", "reason": entry.reason})
    return rows
