"""Fields that hold credentials: never stored, planned or shown as written.

The state DB keeps a digest of a credential (so a change still shows up in a plan);
plans and artifacts show the mask; the API shows the mask to viewers and operators.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fleetflow.resources.interpolate import MASK, digest

CREDENTIAL_FIELDS = frozenset({"webhook_secret", "passkey"})
"""Config fields (of any kind) whose value is a credential."""


def is_credential(path: str) -> bool:
    """Whether a dotted field path names a credential."""
    return path.rsplit(".", 1)[-1] in CREDENTIAL_FIELDS


def _walk(data: Any, replace: Callable[[str], str]) -> Any:
    if isinstance(data, Mapping):
        return {
            k: (replace(v) if k in CREDENTIAL_FIELDS and isinstance(v, str) and v else _walk(v, replace))
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [_walk(v, replace) for v in data]
    return data


def digest_credentials(data: Any) -> Any:
    """``data`` with each credential as ``sha256:...`` (a digest is kept as it is)."""
    return _walk(data, lambda v: v if v.startswith("sha256:") else digest(v))


def mask_credentials(data: Any) -> Any:
    """``data`` with each credential replaced by the mask."""
    return _walk(data, lambda _v: MASK)
