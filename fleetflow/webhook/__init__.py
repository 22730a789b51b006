"""Push webhook receiver: verify, record, coalesce, trigger a poll."""

from fleetflow.webhook.app import WebhookLimits, create_app
from fleetflow.webhook.coalesce import Handler, Trigger
from fleetflow.webhook.deliveries import Delivery, DeliveryLog, DeliveryStatus
from fleetflow.webhook.persist import store_recorder
from fleetflow.webhook.providers import Provider, Push, Rejected, parse, verify

__all__ = [
    "Delivery",
    "DeliveryLog",
    "DeliveryStatus",
    "Handler",
    "Provider",
    "Push",
    "Rejected",
    "Trigger",
    "WebhookLimits",
    "create_app",
    "parse",
    "store_recorder",
    "verify",
]
