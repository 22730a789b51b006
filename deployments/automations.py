"""The zombie-run automation: it lives in :mod:`fleetflow.runtime.automations` (used by flows too)."""

from __future__ import annotations

from fleetflow.runtime.automations import (
    HEARTBEAT_SECONDS,
    ZOMBIE_AUTOMATION,
    ensure_zombie_automation,
    zombie_automation,
)

__all__ = ["HEARTBEAT_SECONDS", "ZOMBIE_AUTOMATION", "ensure_zombie_automation", "zombie_automation"]
