"""fleetflow's errors: one root class, one module.

Library errors are converted at the adapters (``raise ... from exc``) so
callers only ever catch these::

    FleetflowError
    ├── ConfigError                  bad settings outside git (URLs, paths, secrets)
    ├── ResourceError                bad resource files (file, line, field)
    │   └── ResourceErrors           several at once, collected in one pass
    ├── ComponentUnavailable         a component (Docker, store, SSH...) cannot be reached
    │   └── StoreUnavailable         the state DB cannot be reached (URL masked)
    ├── StoreError                   the state DB refused an operation
    │   ├── StaleWriteError          a resource changed since it was read (revision check)
    │   ├── LeaseHeldError           another run holds the lease (e.g. a sync of the same repo)
    │   └── SchemaTooNewError        the DB was written by a newer fleetflow
    ├── CommandFailed                a command on a host exited non-zero
    ├── DeployFailed                 a stack did not come up (and was rolled back when possible)
    ├── GitError                     a repository cannot be cloned, fetched or read
    ├── BackupError                  a dump, snapshot or restore failed
    └── NotImplementedYet            a documented feature that has not landed
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


class FleetflowError(Exception):
    """Root of every error fleetflow raises on purpose."""

    hint: str = ""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        if hint:
            self.hint = hint

    def __str__(self) -> str:
        if not self.hint:
            return self.message
        stop = "" if self.message.rstrip().endswith((".", ":", "!", "?")) else "."
        return f"{self.message}{stop} {self.hint}"


class ConfigError(FleetflowError):
    """Settings outside git are wrong: a URL, a path, a missing secret."""


@dataclass(frozen=True)
class Location:
    """Where in the resource files something is: file, line and field."""

    file: str
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where} [{self.field}]" if self.field else where


class ResourceError(FleetflowError):
    """One problem in the resource files, with its location."""

    def __init__(self, message: str, location: Location, *, hint: str = "") -> None:
        super().__init__(f"{location}: {message}", hint=hint)
        self.location = location
        self.detail = message

    def __reduce__(self) -> tuple[Any, ...]:
        """Picklable (Prefect may persist a failed run's exception): rebuilt from its parts."""
        return (type(self), (self.detail, self.location), {"hint": self.hint})


class ResourceErrors(ResourceError):
    """Every problem found in one pass over the resource files (and the warnings found with them)."""

    def __init__(self, errors: Sequence[ResourceError], *, warnings: Sequence[object] = ()) -> None:
        self.errors = list(errors)
        self.warnings = [str(w) for w in warnings]
        first = self.errors[0].location if self.errors else Location("<resources>")
        body = "\n".join(f"  - {e}" for e in self.errors)
        FleetflowError.__init__(self, f"{len(self.errors)} problem(s) in resource files:\n{body}")
        self.location = first
        self.detail = body

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.errors,), {"warnings": self.warnings})


class ComponentUnavailable(FleetflowError):
    """A component fleetflow needs (Docker, store, SSH, Prefect) cannot be reached."""


class CommandFailed(FleetflowError):
    """A command on a host exited non-zero: host, command, status, stderr tail."""

    def __init__(self, host: str, command: Sequence[str], exit_status: int, stderr: str) -> None:
        self.host = host
        self.command = list(command)
        self.exit_status = exit_status
        self.stderr_tail = "\n".join(stderr.strip().splitlines()[-20:])
        super().__init__(
            f"on {host}: `{' '.join(self.command)}` exited {exit_status}"
            + (f":\n{self.stderr_tail}" if self.stderr_tail else "")
        )


class StoreUnavailable(ComponentUnavailable):
    """The state DB cannot be reached; the message carries the URL with the password masked."""


class StoreError(FleetflowError):
    """The state DB refused an operation."""


class StaleWriteError(StoreError):
    """A resource changed since the caller read it; re-read and retry."""


class LeaseHeldError(StoreError):
    """Another run holds the lease (owner and expiry in the message)."""


class SchemaTooNewError(StoreError):
    """The DB schema is newer than this fleetflow; upgrade fleetflow."""


class DeployFailed(FleetflowError):
    """A stack did not come up on its host (and was rolled back when possible)."""


class GitError(FleetflowError):
    """A repository cannot be cloned, fetched or read (credentials never in the message)."""


class BackupError(FleetflowError):
    """A dump, snapshot, retention or restore step failed."""


class NotImplementedYet(FleetflowError):
    """A documented feature whose issue is still open."""
