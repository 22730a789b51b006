"""Deliveries kept in the state DB, so ``GET /api/deliveries/{id}`` answers after a restart."""

from __future__ import annotations

import logging

from fleetflow.errors import FleetflowError
from fleetflow.store import StateStore
from fleetflow.webhook.deliveries import Delivery, Recorder

log = logging.getLogger(__name__)


def store_recorder(store: StateStore) -> Recorder:
    """A recorder writing each delivery and its latest outcome (not rate-limited ones, a flood)."""

    def record(delivery: Delivery) -> None:
        if delivery.http_status == 429:
            return
        outcome = f"{delivery.status.value}: {delivery.reason}" if delivery.reason else delivery.status.value
        try:
            store.record_webhook(
                delivery.id[:128],
                delivery.provider[:32],
                delivery.endpoint[:128],
                delivery.branch or "",
                delivery.commit or "",
                delivery.received_at,
            )
            store.update_webhook_outcome(delivery.id[:128], outcome[:256])
        except FleetflowError as exc:  # the delivery is answered anyway; say that it was not kept
            log.warning("webhook delivery %s not recorded: %s", delivery.id[:128], type(exc).__name__)

    return record
