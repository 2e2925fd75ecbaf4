"""Queries on deliveries of results and their status events (the only place they are
written). Who may read one is decided by its application (applications.readable_by)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from storage.models.delivery import Delivery, DeliveryEvent, DeliveryMethod, DeliveryStatus


async def of_application(application_id: UUID) -> Delivery | None:
    return await Delivery.get_or_none(application_id=application_id)


async def by_pickup_code(code_hash: str) -> Delivery | None:
    return await Delivery.get_or_none(pickup_code_hash=code_hash)


async def collect(delivery_id: UUID, method: DeliveryMethod, **changes: Any) -> bool:
    """READY to COLLECTED, once: False when it was collected meanwhile. The pickup code is
    dropped with it, so that it works once."""
    changed = await Delivery.filter(
        id=delivery_id, method=method, status=DeliveryStatus.READY
    ).update(status=DeliveryStatus.COLLECTED, pickup_code_hash=None, **changes)
    return changed == 1


async def by_tracking_number(number: str) -> Delivery | None:
    return await Delivery.filter(tracking_number=number).select_for_update().first()


async def create(**fields: Any) -> Delivery:
    return await Delivery.create(**fields)


async def update(delivery_id: UUID, **changes: Any) -> None:
    await Delivery.filter(id=delivery_id).update(**changes)


async def add_event(**fields: Any) -> DeliveryEvent:
    return await DeliveryEvent.create(**fields)


async def events_of(delivery_ids: Sequence[UUID]) -> list[DeliveryEvent]:
    if not delivery_ids:
        return []
    return await DeliveryEvent.filter(delivery_id__in=list(delivery_ids)).order_by(
        "delivery_id", "seq"
    )
