"""Webhook deliveries: every request gets a record whose outcome can be queried (no silent 200s)."""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class DeliveryStatus(StrEnum):
    """Where a delivery ended up."""

    REJECTED = "rejected"  # refused: signature, size, rate limit, unknown endpoint, bad payload
    IGNORED = "ignored"  # verified but not a push of the tracked branch
    DUPLICATE = "duplicate"  # same delivery id seen before
    QUEUED = "queued"  # waiting for the coalesced trigger
    RUNNING = "running"  # its trigger is running
    COMPLETED = "completed"  # the trigger ran
    FAILED = "failed"  # the trigger raised


class Delivery(BaseModel):
    """One webhook request and its outcome (no secrets, no body)."""

    model_config = ConfigDict(frozen=True)

    id: str
    endpoint: str
    provider: str
    status: DeliveryStatus
    http_status: int
    reason: str = ""
    source: str = ""
    branch: str | None = None
    commit: str | None = None
    received_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    trigger: int | None = Field(default=None, description="Sequence number of the trigger that covered it.")


Recorder = Callable[[Delivery], None]


def new_delivery_id() -> str:
    """A fresh delivery id for requests that carry none (and for rejections)."""
    return str(uuid.uuid4())


class DeliveryLog:
    """The most recent ``capacity`` deliveries by id; each change is also handed to ``recorder``."""

    def __init__(self, capacity: int = 10_000, recorder: Recorder | None = None) -> None:
        self._items: OrderedDict[str, Delivery] = OrderedDict()
        self._capacity = capacity
        self._recorder = recorder
        self._lock = threading.Lock()

    def get(self, delivery_id: str) -> Delivery | None:
        with self._lock:
            return self._items.get(delivery_id)

    def put(self, delivery: Delivery) -> Delivery:
        with self._lock:
            self._items[delivery.id] = delivery
            self._items.move_to_end(delivery.id)
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)
        if self._recorder is not None:
            self._recorder(delivery)
        return delivery

    def update(self, delivery_id: str, **changes: object) -> Delivery | None:
        current = self.get(delivery_id)
        return None if current is None else self.put(current.model_copy(update=changes))

    def seen(self, delivery_id: str) -> bool:
        """Whether ``delivery_id`` was accepted before (rejections do not count)."""
        found = self.get(delivery_id)
        return found is not None and found.status not in {DeliveryStatus.REJECTED, DeliveryStatus.DUPLICATE}
