"""Validation inside every sync plan: invalid stacks are not deployed; with ``strict``, nothing is.

gate = gate_stacks(desired, snapshot.source)
rounds = gate.rounds(plan.rounds)      # invalid stacks dropped, the others go on
rows += gate.rows()                    # plan rows: action "invalid", reason = first error
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from fleetflow.errors import FleetflowError
from fleetflow.resources import Action, Desired, FileSource, Kind, Plan
from fleetflow.validate.findings import Finding, Report
from fleetflow.validate.offline import validate_desired

INVALID = "invalid"


class StacksInvalid(FleetflowError):
    """A strict sync found invalid stacks and applied nothing."""


@dataclass(frozen=True)
class Gate:
    """The offline report of a sync's stacks, and what it lets through."""

    report: Report

    @property
    def invalid(self) -> dict[str, Finding]:
        """Stack -> its first error."""
        return self.report.invalid_stacks()

    def apply_to(self, plan: Plan) -> Plan:
        """``plan`` without the invalid stacks: not deployed, and their new config not recorded as
        applied (so the next sync considers them again)."""
        bad = self.invalid
        entries = tuple(
            e
            for e in plan.entries
            if not (e.kind is Kind.STACK and e.name in bad and e.action in (Action.CREATE, Action.UPDATE))
        )
        return replace(plan, entries=entries, rounds=self.rounds(plan.rounds))

    def rounds(self, rounds: Sequence[Sequence[str]]) -> tuple[tuple[str, ...], ...]:
        """Deploy rounds without the invalid stacks (empty rounds dropped)."""
        bad = self.invalid
        kept = (tuple(s for s in r if s not in bad) for r in rounds)
        return tuple(r for r in kept if r)

    def rows(self) -> list[dict[str, str]]:
        """Plan rows for the invalid stacks: action ``invalid``, the first error as the reason."""
        return [
            {
                "kind": "stack",
                "name": name,
                "action": INVALID,
                "field": "",
                "old": "",
                "new": "",
                "reason": str(f),
            }
            for name, f in sorted(self.invalid.items())
        ]

    def outcomes(self, commit: str) -> dict[str, dict[str, Any]]:
        """A sync outcome per invalid stack: not deployed, with its first error."""
        return {
            name: {"status": INVALID, "host": f.server, "commit": commit, "reason": str(f)}
            for name, f in sorted(self.invalid.items())
        }

    def summary(self) -> str:
        """``2 invalid stack(s), not deployed: a: <first error>; b: ...``."""
        bad = self.invalid
        listed = "; ".join(f"{name}: {f}" for name, f in sorted(bad.items()))
        return f"{len(bad)} invalid stack(s), not deployed: {listed}"

    def require_valid(self) -> None:
        """Raise :class:`StacksInvalid` listing every invalid stack (``--strict``)."""
        if self.invalid:
            raise StacksInvalid(
                f"strict sync, nothing applied: {self.summary()}",
                hint="Fix them (fleetflow validate shows every finding) or sync without --strict.",
            )


def gate_stacks(
    desired: Desired, source: FileSource, sources: Mapping[str, FileSource] | None = None
) -> Gate:
    """Run the offline checks on every stack of a sync (``sources``: stacks from other repositories)."""
    return Gate(validate_desired(desired, source, sources=sources))
