"""Queries on the outbox (the only place they are written)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from tortoise.expressions import Q
from tortoise.functions import Min
from tortoise.transactions import in_transaction

from storage.models.outbox import OutboxMessage, OutboxStatus

WAITING = (OutboxStatus.PENDING, OutboxStatus.FAILED)


async def enqueue(kind: str, key: str, payload: dict[str, Any], *, now: datetime) -> OutboxMessage:
    """Written inside the caller's transaction: it commits, or vanishes, with the change."""
    return await OutboxMessage.create(kind=kind, key=key, payload=payload, next_attempt_at=now)


async def claim(*, now: datetime, until: datetime, limit: int) -> list[OutboxMessage]:
    """Takes up to `limit` due messages, at most one per stream key and only the oldest
    undelivered one of its key, and holds them until `until` (a crashed worker's claim lapses).

    On PostgreSQL the candidates are read with FOR UPDATE SKIP LOCKED, so several workers
    claim disjoint rows; SQLite has no row locks (and one writer): run a single worker there.
    """
    async with in_transaction():
        candidates = (
            await OutboxMessage.filter(
                Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
                status__in=WAITING,
                next_attempt_at__lte=now,
            )
            .order_by("seq")
            .limit(limit * 4)
            .select_for_update(skip_locked=True)
        )
        if not candidates:
            return []
        keys = sorted({row.key for row in candidates})
        firsts = {
            row["key"]: row["first"]
            for row in await OutboxMessage.filter(key__in=keys, status__in=WAITING)
            .annotate(first=Min("seq"))
            .group_by("key")
            .values("key", "first")
        }
        heads = [row for row in candidates if firsts.get(row.key) == row.seq][:limit]
        if heads:
            await OutboxMessage.filter(id__in=[row.id for row in heads]).update(claimed_until=until)
        return heads


async def delivered(message_id: UUID, *, now: datetime) -> None:
    await OutboxMessage.filter(id=message_id).update(
        status=OutboxStatus.DELIVERED, delivered_at=now, claimed_until=None, last_error=""
    )


async def failed(message_id: UUID, *, attempts: int, error: str, retry_at: datetime | None) -> None:
    """A failed attempt: tried again at `retry_at`, or dead-lettered when it is None."""
    changes: dict[str, Any] = {
        "status": OutboxStatus.DEAD if retry_at is None else OutboxStatus.FAILED,
        "attempts": attempts,
        "last_error": error[:200],
        "claimed_until": None,
    }
    if retry_at is not None:
        changes["next_attempt_at"] = retry_at
    await OutboxMessage.filter(id=message_id).update(**changes)


async def of_key(key: str) -> list[OutboxMessage]:
    return await OutboxMessage.filter(key=key).order_by("seq")


async def by_ids(ids: Sequence[UUID]) -> list[OutboxMessage]:
    return await OutboxMessage.filter(id__in=list(ids))
