"""Results go out by the resident's choice (`choose`): collected at a window, collected at a
terminal with a pickup code (shown once, kept as a keyed hash), or posted by EMS: a waybill
at the courier and a tracking number, whose statuses arrive by the courier's signed webhook
(`courier_event`: HMAC over timestamp and body, a timestamp of the last minutes only, and
each event id taken once, so a replayed or forged call changes nothing). A WINDOW result is
handed over by window staff against a fresh card read of its owner (`hand_over`); a TERMINAL
result is taken with its code, once, and wrong codes are rate-limited per terminal
(`collect_at_terminal`)."""

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
from resolvers.devices import service as devices
from resolvers.devices.errors import DeviceError
from resolvers.notifications.service import enqueue_inbox
from resolvers.principal import ClientInfo, Principal
from resolvers.resources import Resources
from storage.cache import Keys, RedisError, hit_rate_limit
from storage.models.applications import Application, ApplicationStatus
from storage.models.delivery import Delivery, DeliveryMethod, DeliveryStatus
from storage.models.devices import DeviceKind
from storage.repositories import accounts as account_repo
from storage.repositories import applications as application_repo
from storage.repositories import delivery as repo
from storage.repositories import hall as hall_repo
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


# -- collecting a result at a window or at a terminal

CARD_FIELD = "cardRead"
_DEVICE_CODES = {code.value for code in Code}


def _from_device(error: DeviceError) -> DeliveryError:
    """A card read's error under this mutation's codes (one it lacks: INVALID_CARD)."""
    value = error.code.value
    code = Code(value) if value in _DEVICE_CODES else Code.INVALID_CARD
    return DeliveryError(code, error.field or CARD_FIELD)


async def _collected(
    delivery: Delivery, application: Application, *, at: datetime, where: str
) -> None:
    """Inside the transaction: the step and the resident's notice."""
    await repo.add_event(delivery_id=delivery.id, status=DeliveryStatus.COLLECTED, at=at)
    await enqueue_inbox(
        key=str(application.id),
        now=at,
        topic="DELIVERY_STATUS",
        title="办理结果已领取",
        body=f"您的办件 {application.number} 的办理结果已于{where}领取。如非本人领取，请及时反映。",
        subject_id=application.id,
        account_ids=[application.owner_id],
    )


async def hand_over(
    resources: Resources,
    principal: Principal,
    application_id: UUID,
    *,
    card_payload: str,
    card_signature: str,
    client: ClientInfo,
) -> Delivery:
    """Window staff of the centre the card reader stands in hand a WINDOW result to its owner,
    whose ID card the reader has just read (signed by the device, its nonce spent once)."""
    try:
        signed, device = await devices.signed_by(card_payload, card_signature, CARD_FIELD)
    except DeviceError as error:
        raise _from_device(error) from None
    if device.kind is not DeviceKind.CARD_READER or device.centre_id is None:
        raise DeliveryError(Code.NOT_A_WINDOW_READER, CARD_FIELD)
    await policy.authorize(
        resources,
        principal,
        policy.Action.DELIVERY_HAND_OVER,
        await devices.centre_subject(device.centre_id),
        field=CARD_FIELD,
    )
    officer_id = principal.account_id
    assert officer_id is not None
    # What the officer chose is checked before the read is spent: a wrong pick costs no re-read.
    application = await application_repo.by_id(application_id)
    delivery = await repo.of_application(application_id) if application else None
    if application is None or delivery is None:
        raise DeliveryError(Code.NOT_FOUND, "applicationId")
    _collectable(delivery, DeliveryMethod.WINDOW, "applicationId")
    try:
        holder = await devices.read_card(resources, signed, device, field=CARD_FIELD)
    except DeviceError as error:
        raise _from_device(error) from None
    owner = await account_repo.by_id(application.owner_id)
    # The reader's number in its canonical form (trimmed, upper-case X), as accounts index it;
    # a number that is not one matches no owner.
    index = resources.keyring.blind_index(holder.id_number, purpose="id_number")
    if owner is None or owner.id_number_index is None or owner.id_number_index != index:
        await account_repo.audit(
            "RESULT_HANDED_OVER",
            success=False,
            actor_id=officer_id,
            detail=f"application={application.id.hex} device={device.id.hex} holder mismatch",
            request_id=client.request_id,
        )
        raise DeliveryError(Code.NOT_THE_OWNER, CARD_FIELD)
    now = resources.clock()
    async with atomic():
        if not await repo.collect(
            delivery.id,
            DeliveryMethod.WINDOW,
            collected_at=now,
            updated_at=now,
            collected_by_id=officer_id,
            collected_window_id=device.window_id,
        ):
            raise DeliveryError(Code.ALREADY_COLLECTED, "applicationId")
        await _collected(delivery, application, at=now, where="政务服务中心窗口")
        await account_repo.audit(
            "RESULT_HANDED_OVER",
            success=True,
            actor_id=officer_id,
            detail=" ".join(
                f"{k}={v.hex}"
                for k, v in (
                    ("application", application.id),
                    ("window", device.window_id),
                    ("device", device.id),
                )
                if v is not None
            )[:128],
            request_id=client.request_id,
        )
    found = await repo.of_application(application.id)
    assert found is not None
    return found


def _collectable(delivery: Delivery, method: DeliveryMethod, field: str) -> None:
    if delivery.method is not method:
        raise DeliveryError(Code.WRONG_METHOD, field)
    if delivery.status is DeliveryStatus.COLLECTED:
        raise DeliveryError(Code.ALREADY_COLLECTED, field)
    if delivery.status is not DeliveryStatus.READY:
        raise DeliveryError(Code.INVALID_STATE, field)


async def _terminal_of(principal: Principal) -> UUID | None:
    """The terminal the caller stands at: a resident signed in at one, or the terminal's own
    device account."""
    if principal.terminal_id is not None:
        return principal.terminal_id
    if principal.account_id is None:
        return None
    terminal = await hall_repo.terminal_of_account(principal.account_id)
    return terminal.id if terminal is not None else None


async def collect_at_terminal(
    resources: Resources, principal: Principal, pickup_code: str, *, client: ClientInfo
) -> Delivery:
    """A TERMINAL result taken with its pickup code, once. Wrong codes are counted per
    terminal: past `delivery_pickup_max_failures` in the window, the terminal takes no code
    until the window ends (whether right or wrong), so codes cannot be guessed there."""
    await policy.authorize(resources, principal, policy.Action.DELIVERY_COLLECT_AT_TERMINAL)
    terminal_id = await _terminal_of(principal)
    if terminal_id is None:
        raise DeliveryError(Code.NOT_AT_TERMINAL)
    code = pickup_code.strip()
    if len(code) != PICKUP_CODE_DIGITS or not (code.isascii() and code.isdigit()):
        raise DeliveryError(Code.INVALID_INPUT, "pickupCode")
    settings = resources.settings
    key = Keys.pickup_failures(terminal_id.hex)
    try:
        failures = int(await resources.redis.get(key) or 0)
    except RedisError:
        # The count cannot be told: no code is taken (fail closed).
        raise DeliveryError(Code.SERVICE_UNAVAILABLE) from None
    if failures >= settings.delivery_pickup_max_failures:
        raise DeliveryError(Code.TOO_MANY_ATTEMPTS, "pickupCode")
    delivery = await repo.by_pickup_code(resources.keyring.token_hash(code))
    if delivery is None or delivery.method is not DeliveryMethod.TERMINAL:
        try:
            await hit_rate_limit(
                resources.redis,
                key,
                limit=settings.delivery_pickup_max_failures,
                window=settings.delivery_pickup_failure_window_seconds,
            )
        except RedisError:
            raise DeliveryError(Code.SERVICE_UNAVAILABLE) from None
        await account_repo.audit(
            "RESULT_COLLECTED_AT_TERMINAL",
            success=False,
            actor_id=principal.account_id,
            detail=f"terminal={terminal_id.hex} wrong code",
            request_id=client.request_id,
        )
        raise DeliveryError(Code.WRONG_CODE, "pickupCode")
    application = await application_repo.by_id(delivery.application_id)
    assert application is not None
    now = resources.clock()
    async with atomic():
        if not await repo.collect(
            delivery.id,
            DeliveryMethod.TERMINAL,
            collected_at=now,
            updated_at=now,
            collected_terminal_id=terminal_id,
        ):
            # Taken a moment ago with the same code: it worked once.
            raise DeliveryError(Code.WRONG_CODE, "pickupCode")
        await _collected(delivery, application, at=now, where="自助终端")
        await account_repo.audit(
            "RESULT_COLLECTED_AT_TERMINAL",
            success=True,
            actor_id=principal.account_id,
            detail=f"application={application.id.hex} terminal={terminal_id.hex}",
            request_id=client.request_id,
        )
    found = await repo.of_application(application.id)
    assert found is not None
    return found
