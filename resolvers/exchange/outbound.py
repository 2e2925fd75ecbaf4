"""Pushes to the province: each workflow event becomes a message in the transaction that
writes the event, and the outbox handler sends it, signed, and keeps the province's signed
receipt.

One strict outbox stream per application (`province:<application id>`): message N+1 is not
sent before message N is acknowledged, and a dead letter holds back the rest of its
application until `rongban exchange retry` re-queues it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from uuid import UUID

from integrations.provincial import ProvinceRefused, ProvinceUnavailable
from resolvers.exchange import mapping
from resolvers.outbox.service import Handler, Permanent, Retry
from resolvers.resources import Resources
from storage.models.applications import ApplicationEvent, EventType
from storage.models.outbox import OutboxMessage
from storage.repositories import exchange as repo
from storage.repositories import outbox as outbox_repo

log = logging.getLogger(__name__)

PUSH = repo.PUSH
# 400 is the province's word that the message itself is wrong: no resend can fix it, so it
# is dead-lettered at once with the province's reason for an admin to act on. Any other 4xx
# (a signature refused while keys rotate, an earlier message wanted first, throttling, a
# path being redeployed) is retried with backoff and dies only after the attempt budget.
_PERMANENT_STATUSES = frozenset({400})


async def enqueue_for(event: ApplicationEvent) -> None:
    """Inside the transaction that wrote `event`, under its application's row lock: the
    message commits with the event, or neither does."""
    step = mapping.step_of(event.type)
    if step is None:
        return
    tail = await repo.stream_tail(event.application_id)
    sequence = int(tail.payload["sequence"]) + 1 if tail is not None else 1
    application, implementation, task = await repo.facts_rows(event.application_id, event.task_id)
    rating = await repo.rating_of(application.id) if event.type is EventType.RATED else None
    lead = implementation.department.code
    # The outbox row's own id is the message id the province dedupes on: chosen up front
    # because it is part of the signed body.
    message_id = uuid.uuid4()
    facts = mapping.Facts(
        message_id=message_id,
        sequence=sequence,
        event=event,
        application=application,
        implementation=implementation,
        base_code=implementation.base.basic_code,
        region_code=implementation.region.code,
        lead_organ=lead,
        acting_organ=task.department.code if task is not None else lead,
        rating=rating,
        bundle_number=application.parent.number if application.parent is not None else None,
    )
    await outbox_repo.enqueue(
        PUSH,
        repo.stream_key(event.application_id),
        {
            "event_id": str(event.id),
            "application_id": str(event.application_id),
            "number": application.number,
            "sequence": sequence,
            "step": step.value,
            "event_at": event.at.isoformat(),
            "body": mapping.body(facts),
        },
        now=event.at,
        strict=True,
        message_id=message_id,
    )


async def push(resources: Resources, message: OutboxMessage) -> None:
    """The outbox handler: the message is DELIVERED only once the province signed a receipt
    for it. A resend after a crash gets the same receipt back (the province dedupes)."""
    gateway = resources.province
    if gateway is None:
        raise Retry("no provincial gateway configured")
    body = mapping.encode(message.payload["body"])
    try:
        ack = await gateway.push(str(message.id), body)
    except ProvinceUnavailable as exc:
        raise Retry(f"province: {exc}") from None
    except ProvinceRefused as exc:
        if exc.status in _PERMANENT_STATUSES:
            raise Permanent(f"province refused: {exc}") from None
        raise Retry(f"province refused: {exc}") from None
    await repo.record_ack(
        message_id=message.id,
        payload=message.payload,
        ack_id=ack.ack_id,
        acknowledged_at=resources.clock(),
        province_received_at=ack.received_at,
        duplicate=ack.duplicate,
    )
    if ack.duplicate:
        log.info("province had message %s already (receipt %s)", message.id, ack.ack_id)


HANDLERS: dict[str, Handler] = {PUSH: push}


async def requeue(resources: Resources, ids: Sequence[UUID] | None) -> list[OutboxMessage]:
    """`rongban exchange retry`: DEAD pushes (the given ones, or all) go back to PENDING with
    a fresh attempt budget, and so does any later dead push of the same application; the
    ones held behind them (PENDING) follow in order once these are acknowledged."""
    chosen = await repo.dead_messages(ids)
    first_of_key: dict[str, int] = {}
    for message in chosen:
        first_of_key[message.key] = min(first_of_key.get(message.key, message.seq), message.seq)
    followers = [
        m for m in await repo.dead_in_streams(sorted(first_of_key)) if m.seq >= first_of_key[m.key]
    ]
    again = {m.id: m for m in [*chosen, *followers]}
    await outbox_repo.requeue_dead(list(again), now=resources.clock())
    for message in again.values():
        log.info("exchange message %s re-queued (was dead: %s)", message.id, message.last_error)
    return sorted(again.values(), key=lambda m: m.seq)
