"""Change detection: which stacks a commit, a variable or a config edit touches, and why."""

from fleetflow.changes.detect import FULL_COMPARISON, detect_changes
from fleetflow.changes.inputs import StackInputs, as_prefix, compose_inputs, repo_path, variables_in

__all__ = [
    "FULL_COMPARISON",
    "StackInputs",
    "as_prefix",
    "compose_inputs",
    "detect_changes",
    "repo_path",
    "variables_in",
]
