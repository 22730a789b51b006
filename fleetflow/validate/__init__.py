"""Stack validation: everything that can be checked before a stack is sent to its host.

Offline (files only, no Docker, no Prefect): resource files; each stack's
compose files (YAML, Compose spec, interpolation with the stack's rendered
environment, references); clashes between stacks of one server. Host checks
read the target engine (external networks and volumes, absolute paths,
published ports). Every sync plan runs the offline checks (``gate``).
"""

from fleetflow.validate.facts import StackFacts
from fleetflow.validate.findings import Finding, Report, Severity
from fleetflow.validate.offline import OfflineSecrets, checked_stacks, validate_desired, validate_repo

__all__ = [
    "Finding",
    "OfflineSecrets",
    "Report",
    "Severity",
    "StackFacts",
    "checked_stacks",
    "validate_desired",
    "validate_repo",
]
