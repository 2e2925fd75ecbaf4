"""Queries on the inbox and the subscribe-message grants (the only place they are written)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from storage.models.accounts import Account
from storage.models.notifications import Notification, SubscriptionGrant
from storage.repositories.pagination import Page, Scalar, keyset_page

ORDER = ("-created_at",)


async def deliver(
    outbox_id: UUID,
    account_ids: Sequence[UUID],
    *,
    topic: str,
    subject_id: UUID | None,
    title: str,
    body: str,
) -> int:
    """Writes the message into each inbox once: a repeated delivery of the same outbox row
    finds its copies already there (unique outbox_id + account) and writes nothing."""
    have = set(
        await Notification.filter(
            outbox_id=outbox_id, account_id__in=list(account_ids)
        ).values_list("account_id", flat=True)
    )
    written = 0
    for account_id in account_ids:
        if account_id in have:
            continue
        try:
            await Notification.create(
                outbox_id=outbox_id,
                account_id=account_id,
                topic=topic,
                subject_id=subject_id,
                title=title[:64],
                body=body[:200],
            )
            written += 1
        except IntegrityError:  # a concurrent delivery of the same row won
            continue
    return written


async def page_of(
    account_id: UUID, *, unread: bool | None, first: int, after: Any
) -> Page[Notification]:
    query = Notification.filter(account_id=account_id)
    if unread is True:
        query = query.filter(read_at__isnull=True)
    elif unread is False:
        query = query.filter(read_at__isnull=False)
    return await keyset_page(query, order=ORDER, first=first, after=after)


def typed_cursor(after: Sequence[Scalar] | None) -> list[Any] | None:
    if after is None:
        return None
    if len(after) != 2 or not isinstance(after[0], str) or not isinstance(after[1], str):
        raise ValueError("cursor does not fit this list")
    return [datetime.fromisoformat(after[0]), UUID(after[1])]


async def mark_read(account_id: UUID, ids: Sequence[UUID] | None, *, now: datetime) -> int:
    query = Notification.filter(account_id=account_id, read_at__isnull=True)
    if ids is not None:
        query = query.filter(id__in=list(ids))
    return await query.update(read_at=now)


async def unread_count(account_id: UUID) -> int:
    return await Notification.filter(account_id=account_id, read_at__isnull=True).count()


async def staff_of_department(department_id: UUID) -> list[UUID]:
    rows = await Account.filter(department_id=department_id, disabled=False).values_list(
        "id", flat=True
    )
    return [UUID(str(row)) for row in rows]


async def openid_of(account_id: UUID) -> str | None:
    rows = await Account.filter(id=account_id).values_list("wechat_openid", flat=True)
    return str(rows[0]) if rows and rows[0] else None


# -- grants


async def add_grants(account_id: UUID, counts: dict[str, int], *, cap: int) -> None:
    for template_id, count in counts.items():
        grant, _ = await SubscriptionGrant.get_or_create(
            account_id=account_id, template_id=template_id
        )
        await SubscriptionGrant.filter(id=grant.id).update(remaining=F("remaining") + count)
        await SubscriptionGrant.filter(id=grant.id, remaining__gt=cap).update(remaining=cap)


async def grants_of(account_id: UUID, limit: int) -> list[SubscriptionGrant]:
    return await (
        SubscriptionGrant.filter(account_id=account_id).order_by("template_id").limit(limit)
    )


async def remaining(account_id: UUID, template_id: str) -> int:
    rows = await SubscriptionGrant.filter(
        account_id=account_id, template_id=template_id
    ).values_list("remaining", flat=True)
    return int(str(rows[0])) if rows else 0


async def use_grant(account_id: UUID, template_id: str) -> None:
    await SubscriptionGrant.filter(
        account_id=account_id, template_id=template_id, remaining__gt=0
    ).update(remaining=F("remaining") - 1)


async def clear_grant(account_id: UUID, template_id: str) -> None:
    await SubscriptionGrant.filter(account_id=account_id, template_id=template_id).update(
        remaining=0
    )
