"""What validation reports: findings (check, severity, stack, file:line, message, hint) and the report."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from fleetflow.validate.facts import StackFacts


class Severity(StrEnum):
    """An error stops the stack from deploying; a warning is shown and deploys go on."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    """One problem: which check found it, about which stack, where, and what to do."""

    check: str
    severity: Severity
    message: str
    stack: str = ""
    server: str = ""
    file: str = ""
    line: int | None = None
    hint: str = ""

    @property
    def where(self) -> str:
        """``file:line`` (or just the file, or empty)."""
        if not self.file:
            return ""
        return self.file if self.line is None else f"{self.file}:{self.line}"

    @property
    def text(self) -> str:
        """The message, then the hint."""
        if not self.hint:
            return self.message
        stop = "" if self.message.rstrip().endswith((".", ":", "!", "?")) else "."
        return f"{self.message}{stop} {self.hint}"

    def __str__(self) -> str:
        return f"{self.where}: {self.text}" if self.where else self.text

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "severity": self.severity.value, "where": self.where}


@dataclass
class Report:
    """Every finding of one validation run, and the stacks (by server) it covered."""

    findings: list[Finding] = field(default_factory=list)
    stacks: dict[str, str] = field(default_factory=dict)
    """Stack name -> server, for every stack checked."""
    facts: dict[str, StackFacts] = field(default_factory=dict, repr=False)
    """Stack name -> what the host checks need (ports, external names, host paths)."""

    def add(self, finding: Finding) -> None:
        self.findings.append(finding)

    def extend(self, findings: Iterable[Finding]) -> None:
        self.findings.extend(findings)

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.findings)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors

    def invalid_stacks(self) -> dict[str, Finding]:
        """Stack -> its first error, for every stack with an error."""
        first: dict[str, Finding] = {}
        for finding in self.errors:
            if finding.stack:
                first.setdefault(finding.stack, finding)
        return first

    def sorted(self) -> list[Finding]:
        """Errors first, then by stack, file and line."""
        return sorted(
            self.findings,
            key=lambda f: (f.severity is not Severity.ERROR, f.stack, f.file, f.line or 0, f.check),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "stacks": dict(sorted(self.stacks.items())),
            "findings": [f.as_dict() for f in self.sorted()],
        }

    def rows(self) -> list[dict[str, str]]:
        """One row per finding (for a table artifact or the CLI)."""
        return [
            {
                "severity": f.severity.value,
                "stack": f.stack,
                "server": f.server,
                "check": f.check,
                "where": f.where,
                "message": f.text,
            }
            for f in self.sorted()
        ]
