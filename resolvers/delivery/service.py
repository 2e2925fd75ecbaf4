"""Results go out by the resident's choice (`choose`): collected at a window, collected at a
terminal with a pickup code (shown once, kept as a keyed hash), or posted by EMS: a waybill
at the courier and a tracking number, whose statuses arrive by the courier's signed webhook
(`courier_event`: HMAC over timestamp and body, a timestamp of the last minutes only, and
each event id taken once, so a replayed or forged call changes nothing)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

import orjson

from integrations.courier import CourierError, Recipient, create_waybill, verify
from resolvers import policy
from resolvers.applications import service as applications
from resolvers.delivery.errors import DeliveryError, WebhookCode, WebhookRefused
from resolvers.delivery.errors import DeliveryErrorCode as Code
from resolvers.notifications.service import enqueue_inbox
from resolvers.principal import Principal
from resolvers.resources import Resources
from storage.models.applications import ApplicationStatus
from storage.models.delivery import Delivery, DeliveryMethod, DeliveryStatus
from storage.repositories import applications as application_repo
from storage.repositories import delivery as repo
from storage.transactions import IntegrityError, atomic

PICKUP_CODE_DIGITS = 8
MAX_WEBHOOK_BODY = 4096
_MOBILE = re.compile(r"1[3-9]\d{9}")
# The courier's statuses in order: a late event never moves a delivery back.
COURIER_ORDER = (
    DeliveryStatus.CREATED,
    DeliveryStatus.PICKED_UP,
    DeliveryStatus.IN_TRANSIT,
    DeliveryStatus.DELIVERED,
)
LABELS = {
    DeliveryStatus.PICKED_UP: "已揽收",
    DeliveryStatus.IN_TRANSIT: "运输中",
    DeliveryStatus.DELIVERED: "已签收",
}


class Method(StrEnum):
    WINDOW = "WINDOW"
    TERMINAL = "TERMINAL"
    POST = "POST"


@dataclass(frozen=True, slots=True)
class Chosen:
    delivery: Delivery
    pickup_code: str | None  # TERMINAL: shown this once


def clean_recipient(name: str, phone: str, address: str) -> Recipient:
    who = " ".join(name.split())
    where = " ".join(address.split())
    digits = re.sub(r"[\s\-]", "", phone)
    if digits.startswith("+86"):
        digits = digits[3:]
    if not 0 < len(who) <= 32 or not who.isprintable():
        raise DeliveryError(Code.RECIPIENT_REQUIRED, "recipient.name")
    if not _MOBILE.fullmatch(digits):
        raise DeliveryError(Code.INVALID_PHONE, "recipient.phone")
    if not 5 <= len(where) <= 200 or not where.isprintable():
        raise DeliveryError(Code.RECIPIENT_REQUIRED, "recipient.address")
    return Recipient(name=who, phone=digits, address=where)


def _masked(recipient: Recipient) -> str:
    return f"{recipient.name[:1]}* {recipient.phone[:3]}****{recipient.phone[-4:]}"


async def choose(
    resources: Resources,
    principal: Principal,
    application_id: UUID,
    method: Method,
    recipient: tuple[str, str, str] | None,
) -> Chosen:
    """The resident's one choice for a finished application's result."""
    application = await application_repo.by_id(application_id)
    found = applications.subject(application, set()) if application else None
    await policy.authorize_seen(
        resources,
        principal,
        policy.Action.DELIVERY_CHOOSE,
        found,
        seen_by=policy.Action.APPLICATION_READ,
        hidden=DeliveryError(Code.NOT_FOUND, "applicationId"),
        field="applicationId",
    )
    assert application is not None
    if application.status is not ApplicationStatus.COMPLETED:
        raise DeliveryError(Code.INVALID_STATE, "applicationId")
    if await repo.of_application(application.id) is not None:
        raise DeliveryError(Code.ALREADY_CHOSEN, "applicationId")
    now = resources.clock()
    fields: dict[str, Any] = {}
    code: str | None = None
    status = DeliveryStatus.READY
    if method is Method.POST:
        if recipient is None:
            raise DeliveryError(Code.RECIPIENT_REQUIRED, "recipient")
        to = clean_recipient(*recipient)
        try:
            waybill = await create_waybill(resources.settings.courier_url, application.number, to)
        except CourierError:
            raise DeliveryError(Code.COURIER_UNAVAILABLE) from None
        sealed = orjson.dumps({"name": to.name, "phone": to.phone, "address": to.address})
        fields = {
            "tracking_number": waybill.tracking_number,
            "recipient_sealed": resources.keyring.seal(
                sealed.decode(), context="delivery.recipient"
            ),
            "recipient_masked": _masked(to),
        }
        status = DeliveryStatus.CREATED
    elif recipient is not None:
        raise DeliveryError(Code.INVALID_INPUT, "recipient")
    elif method is Method.TERMINAL:
        code = "".join(secrets.choice("0123456789") for _ in range(PICKUP_CODE_DIGITS))
        fields = {"pickup_code_hash": resources.keyring.token_hash(code)}
    try:
        async with atomic():
            delivery = await repo.create(
                application_id=application.id,
                method=DeliveryMethod(method.value),
                status=status,
                created_at=now,
                updated_at=now,
                **fields,
            )
            await repo.add_event(delivery_id=delivery.id, status=status, at=now)
    except IntegrityError:
        # The same choice made twice at once: the first one stands.
        raise DeliveryError(Code.ALREADY_CHOSEN, "applicationId") from None
    return Chosen(delivery=delivery, pickup_code=code)


async def of_application(principal: Principal, application_id: UUID) -> Delivery | None:
    """The delivery of an application the caller may read (its owner, handling staff)."""
    rows = await application_repo.readable(principal, [application_id])
    return await repo.of_application(application_id) if rows else None


def _event_of(body: bytes) -> tuple[str, str, DeliveryStatus]:
    try:
        data = orjson.loads(body)
        event_id, number = str(data["eventId"]), str(data["trackingNumber"])
        status = DeliveryStatus(str(data["status"]))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        raise WebhookRefused(WebhookCode.BAD_EVENT) from None
    if status not in COURIER_ORDER or not 0 < len(event_id) <= 64 or not 0 < len(number) <= 32:
        raise WebhookRefused(WebhookCode.BAD_EVENT)
    return event_id, number, status


async def courier_event(
    resources: Resources, timestamp: str, signature: str, body: bytes
) -> Delivery:
    """One status from the courier's webhook, verified and taken once."""
    settings = resources.settings
    now = resources.clock()
    try:
        sent = datetime.fromtimestamp(int(timestamp), UTC)
    except (ValueError, OverflowError, OSError):
        raise WebhookRefused(WebhookCode.STALE_TIMESTAMP) from None
    # The courier signs with real time (Resources: outside timestamps meet the wall clock).
    if (
        abs((resources.wall_clock() - sent).total_seconds())
        > settings.courier_webhook_tolerance_seconds
    ):
        raise WebhookRefused(WebhookCode.STALE_TIMESTAMP)
    if len(body) > MAX_WEBHOOK_BODY or not verify(
        settings.courier_secret.get_secret_value(), timestamp, body, signature
    ):
        raise WebhookRefused(WebhookCode.BAD_SIGNATURE)
    event_id, number, status = _event_of(body)
    try:
        async with atomic():
            delivery = await repo.by_tracking_number(number)
            if delivery is None:
                raise WebhookRefused(WebhookCode.UNKNOWN_WAYBILL)
            await repo.add_event(
                delivery_id=delivery.id, status=status, at=now, courier_event_id=event_id
            )
            if COURIER_ORDER.index(status) > COURIER_ORDER.index(delivery.status):
                await repo.update(delivery.id, status=status, updated_at=now)
                delivery.status = status
                application = await application_repo.by_id(delivery.application_id)
                assert application is not None
                await enqueue_inbox(
                    key=str(application.id),
                    now=now,
                    topic="DELIVERY_STATUS",
                    title=f"办理结果{LABELS[status]}",
                    body=f"您的办件 {application.number} 的办理结果{LABELS[status]}，"
                    f"邮件号 {number}。",
                    subject_id=application.id,
                    account_ids=[application.owner_id],
                )
    except IntegrityError:
        raise WebhookRefused(WebhookCode.REPLAYED) from None
    return delivery
