"""Alerts: pure rules, maintenance windows, dedup through the store, apprise notifications."""

from fleetflow.alerts.maintenance import in_window, muted
from fleetflow.alerts.manager import reconcile
from fleetflow.alerts.models import FLEET, AlertEvent, Candidate, EventKind, alert_key, owned_prefix
from fleetflow.alerts.notify import AppriseNotifier, Notifier, RecordingNotifier, scrub
from fleetflow.alerts.rules import fleet_alerts, host_alerts, stack_alerts, update_alerts

__all__ = [
    "FLEET",
    "AlertEvent",
    "AppriseNotifier",
    "Candidate",
    "EventKind",
    "Notifier",
    "RecordingNotifier",
    "alert_key",
    "fleet_alerts",
    "host_alerts",
    "in_window",
    "muted",
    "owned_prefix",
    "reconcile",
    "scrub",
    "stack_alerts",
    "update_alerts",
]
