"""Outbox handlers of notifications: the in-app inbox (exactly once per outbox row) and WeChat
subscribe messages (one per grant; 43101 leaves the inbox copy only)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from integrations.wechat import WeChatError, WeChatUnavailable
from resolvers.notifications.wechat_values import fit
from resolvers.outbox.service import Handler, Permanent, Retry
from resolvers.resources import Resources
from storage.models.outbox import OutboxMessage
from storage.repositories import notifications as repo
from storage.repositories import outbox as outbox_repo

log = logging.getLogger(__name__)

INBOX = "notification.inbox"
WECHAT = "notification.wechat"
# WeChat codes worth another try later: busy, quota for today.
_TRANSIENT = {-1, 45009, 45011}
_NOT_SUBSCRIBED = 43101


async def enqueue_inbox(
    *,
    key: str,
    now: datetime,
    topic: str,
    title: str,
    body: str,
    subject_id: UUID | None,
    account_ids: Sequence[UUID] = (),
    department_id: UUID | None = None,
) -> None:
    """Inside the caller's transaction: an inbox message for accounts, or for every officer of
    a department (looked up when it is delivered)."""
    await outbox_repo.enqueue(
        INBOX,
        key,
        {
            "account_ids": [str(a) for a in account_ids],
            "department_id": str(department_id) if department_id else None,
            "topic": topic,
            "title": title,
            "body": body,
            "subject_id": str(subject_id) if subject_id else None,
        },
        now=now,
    )


async def enqueue_wechat(
    *, key: str, now: datetime, account_id: UUID, event: str, values: dict[str, str], page: str
) -> None:
    """Inside the caller's transaction: a subscribe message, if the resident granted one.
    `values` are named (number, service, status, time); settings map them to keywords.

    Subscribe messages of a subject keep their order in a stream of their own: on the
    subject's stream a WeChat outage would hold back its inbox copies and provincial pushes."""
    await outbox_repo.enqueue(
        WECHAT,
        wechat_stream(key),
        {"account_id": str(account_id), "event": event, "values": values, "page": page},
        now=now,
    )


def wechat_stream(key: str) -> str:
    return f"wechat:{key}"


async def deliver_inbox(resources: Resources, message: OutboxMessage) -> None:
    payload: dict[str, Any] = message.payload
    accounts = [UUID(a) for a in payload.get("account_ids") or []]
    if payload.get("department_id"):
        accounts += await repo.staff_of_department(UUID(payload["department_id"]))
    subject = payload.get("subject_id")
    await repo.deliver(
        message.id,
        accounts,
        topic=str(payload["topic"]),
        subject_id=UUID(subject) if subject else None,
        title=str(payload["title"]),
        body=str(payload["body"]),
    )


async def send_wechat(resources: Resources, message: OutboxMessage) -> None:
    settings = resources.settings
    payload: dict[str, Any] = message.payload
    template_id = settings.wechat_subscription_templates.get(str(payload.get("event")))
    if not template_id:
        return  # no template for this event: the inbox has it
    account_id = UUID(payload["account_id"])
    if await repo.remaining(account_id, template_id) <= 0:
        return  # not granted (or used up): inbox only
    openid = await repo.openid_of(account_id)
    if openid is None:
        return
    keywords = settings.wechat_template_keywords.get(template_id, {})
    values: dict[str, Any] = payload.get("values") or {}
    data = {keyword: fit(keyword, str(values.get(name, ""))) for name, keyword in keywords.items()}
    try:
        await resources.wechat.send_subscribe_message(
            openid, template_id, data, page=payload.get("page")
        )
    except WeChatUnavailable:
        raise Retry("wechat unavailable") from None
    except WeChatError as error:
        if error.errcode == _NOT_SUBSCRIBED:
            # WeChat says no grant is left (refused, used, or unsubscribed): believe it.
            await repo.clear_grant(account_id, template_id)
            return
        if error.errcode in _TRANSIENT:
            raise Retry(f"wechat errcode {error.errcode}") from None
        raise Permanent(f"wechat errcode {error.errcode}") from None
    await repo.use_grant(account_id, template_id)


HANDLERS: dict[str, Handler] = {INBOX: deliver_inbox, WECHAT: send_wechat}
