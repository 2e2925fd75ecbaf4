"""Queries on the outbox (the only place they are written)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from tortoise.expressions import Q, Subquery
from tortoise.functions import Count, Min
from tortoise.transactions import in_transaction

from storage.models.outbox import OutboxMessage, OutboxStatus, next_seq

WAITING = (OutboxStatus.PENDING, OutboxStatus.FAILED)


def _undelivered() -> Q:
    """Rows that still hold back the rest of their key: waiting ones, and dead letters of
    strict streams (until they are re-queued)."""
    return Q(status__in=WAITING) | Q(status=OutboxStatus.DEAD, strict=True)


async def enqueue(
    kind: str,
    key: str,
    payload: dict[str, Any],
    *,
    now: datetime,
    strict: bool = False,
    message_id: UUID | None = None,
) -> OutboxMessage:
    """Written inside the caller's transaction: it commits, or vanishes, with the change.

    A strict message is placed after the last row of its key whatever the clocks say: the
    caller holds the stream's row lock, so the tail it reads is the committed one, and two
    servers with skewed clocks still order one key's messages as they were written.
    `message_id` lets the caller name the row up front (when the id is part of the payload)."""
    seq = next_seq()
    if strict:
        # The tail's position only: its payload is not decoded for it.
        tail = await OutboxMessage.filter(key=key).order_by("-seq").limit(1).values_list("seq")
        if tail and tail[0][0] >= seq:
            seq = tail[0][0] + 1
    return await OutboxMessage.create(
        id=message_id or uuid.uuid4(),
        kind=kind,
        key=key,
        payload=payload,
        next_attempt_at=now,
        strict=strict,
        seq=seq,
    )


async def claim(*, now: datetime, until: datetime, limit: int, owner: str) -> list[OutboxMessage]:
    """Takes up to `limit` due messages, each the head of its key (the oldest row that is not
    delivered, or dead in a non-strict stream), and holds them for `owner` until `until` (the
    owner renews the lease while it works; a crashed worker's lease lapses).

    Only heads are read, so messages waiting behind a failing head never crowd the batch
    and starve other keys. On PostgreSQL the rows are read with FOR UPDATE SKIP LOCKED, so
    several workers claim disjoint rows; SQLite has no row locks (and one writer): run a
    single worker there.
    """
    async with in_transaction():
        heads = (
            OutboxMessage.filter(_undelivered())
            .group_by("key")
            .annotate(first=Min("seq"))
            .values("first")
        )
        candidates = (
            await OutboxMessage.filter(
                Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
                status__in=WAITING,
                next_attempt_at__lte=now,
                seq__in=Subquery(heads),
            )
            .order_by("seq")
            .limit(limit)
            .select_for_update(skip_locked=True)
        )
        if not candidates:
            return []
        # The sub-query matched positions, not (key, position) pairs: keep only the rows
        # that head their own key (two keys could share a position number).
        keys = sorted({row.key for row in candidates})
        firsts = {
            row["key"]: row["first"]
            for row in await OutboxMessage.filter(_undelivered(), key__in=keys)
            .annotate(first=Min("seq"))
            .group_by("key")
            .values("key", "first")
        }
        chosen: dict[str, OutboxMessage] = {}
        for row in candidates:
            if firsts.get(row.key) == row.seq and row.key not in chosen:
                chosen[row.key] = row
        heads_found = list(chosen.values())
        if heads_found:
            await OutboxMessage.filter(id__in=[row.id for row in heads_found]).update(
                claimed_until=until, claimed_by=owner
            )
        return heads_found


async def renew(ids: Sequence[UUID], *, owner: str, now: datetime, until: datetime) -> set[UUID]:
    """Extends `owner`'s leases that have not lapsed; returns the ids it still holds. A lease
    that lapsed may already be another worker's: it is not taken back."""
    if not ids:
        return set()
    held = OutboxMessage.filter(
        id__in=list(ids), claimed_by=owner, claimed_until__gte=now, status__in=WAITING
    )
    kept = await held.values_list("id", flat=True)
    if kept:
        await OutboxMessage.filter(id__in=list(kept), claimed_by=owner).update(claimed_until=until)
    return {UUID(str(i)) for i in kept}


async def delivered(message_id: UUID, *, now: datetime, owner: str) -> bool:
    """Recorded only while `owner` still holds the message: a worker whose lease lapsed (and
    whose message another worker took over) cannot overwrite the newer outcome."""
    updated = await OutboxMessage.filter(id=message_id, claimed_by=owner).update(
        status=OutboxStatus.DELIVERED,
        delivered_at=now,
        claimed_until=None,
        claimed_by=None,
        last_error="",
    )
    return bool(updated)


async def failed(
    message_id: UUID, *, attempts: int, error: str, retry_at: datetime | None, owner: str
) -> bool:
    """A failed attempt: tried again at `retry_at`, or dead-lettered when it is None; recorded
    only while `owner` still holds the message."""
    changes: dict[str, Any] = {
        "status": OutboxStatus.DEAD if retry_at is None else OutboxStatus.FAILED,
        "attempts": attempts,
        "last_error": error[:200],
        "claimed_until": None,
        "claimed_by": None,
    }
    if retry_at is not None:
        changes["next_attempt_at"] = retry_at
    return bool(await OutboxMessage.filter(id=message_id, claimed_by=owner).update(**changes))


async def requeue_dead(ids: Sequence[UUID], *, now: datetime) -> int:
    """Dead letters back to PENDING with a fresh attempt budget; the last error stays until
    the message is delivered. Returns how many were re-queued."""
    if not ids:
        return 0
    return await OutboxMessage.filter(id__in=list(ids), status=OutboxStatus.DEAD).update(
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        claimed_until=None,
        claimed_by=None,
    )


async def of_key(key: str) -> list[OutboxMessage]:
    return await OutboxMessage.filter(key=key).order_by("seq")


async def by_ids(ids: Sequence[UUID]) -> list[OutboxMessage]:
    return await OutboxMessage.filter(id__in=list(ids))


@dataclass(frozen=True, slots=True)
class KindBacklog:
    """One kind's waiting messages (pending or failed and due again), the oldest one's
    creation time, and its dead letters."""

    kind: str
    waiting: int
    oldest: datetime | None
    dead: int


async def backlog() -> list[KindBacklog]:
    """The outbox by kind, for the metrics: one grouped query over undelivered rows."""
    rows = (
        await OutboxMessage.filter(status__in=(*WAITING, OutboxStatus.DEAD))
        .annotate(count=Count("id"), oldest=Min("created_at"))
        .group_by("kind", "status")
        .values("kind", "status", "count", "oldest")
    )
    kinds: dict[str, KindBacklog] = {}
    for row in rows:
        seen = kinds.get(row["kind"], KindBacklog(row["kind"], 0, None, 0))
        if row["status"] == OutboxStatus.DEAD:
            seen = KindBacklog(seen.kind, seen.waiting, seen.oldest, seen.dead + row["count"])
        else:
            oldest = row["oldest"] if seen.oldest is None else min(seen.oldest, row["oldest"])
            seen = KindBacklog(seen.kind, seen.waiting + row["count"], oldest, seen.dead)
        kinds[seen.kind] = seen
    return sorted(kinds.values(), key=lambda entry: entry.kind)
