"""WeChat Pay's notifications, verified by the gateway and applied here exactly once: the
notification id is recorded in the same short transaction that applies it (a unique
constraint, so that of two deliveries at once one applies and the other finds it done), and
the order's own state is checked again under its row lock (a query may have applied it)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from enum import StrEnum

from integrations.wechatpay.protocol import (
    NotificationRejected,
    PaymentNotice,
    RefundNotice,
    TradeState,
)
from resolvers.payments import orders, refunds
from resolvers.resources import Resources
from storage.models.payments import AnomalyKind
from storage.repositories import payments as repo
from storage.transactions import IntegrityError, atomic

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    APPLIED = "APPLIED"
    ALREADY_APPLIED = "ALREADY_APPLIED"  # a duplicate delivery: answered, nothing done again
    KEPT = "KEPT"  # did not match ours: kept for finance, nothing applied
    IGNORED = "IGNORED"  # a trade state that changes nothing (NOTPAY, CLOSED …)
    REJECTED = "REJECTED"  # forged or unverifiable: nothing stored


async def receive(resources: Resources, headers: Mapping[str, str], body: bytes) -> Outcome:
    """One delivery to the notification endpoint."""
    gateway = resources.payments
    if gateway is None:
        return Outcome.REJECTED
    try:
        notice = gateway.parse_notification(headers, body)
    except NotificationRejected:
        log.warning("payment notification refused: signature or content did not verify")
        return Outcome.REJECTED
    if isinstance(notice, RefundNotice):
        return await apply_refund(resources, notice)
    return await apply_payment(resources, notice)


def _merchant_matches(resources: Resources, notice: PaymentNotice) -> bool:
    settings = resources.settings
    return notice.mchid == settings.wechatpay_mchid and notice.appid in (
        settings.wechatpay_app_id,
        settings.wechatpay_mobile_app_id,
    )


async def apply_payment(resources: Resources, notice: PaymentNotice) -> Outcome:
    now = resources.clock()
    reported = notice.order
    if await repo.notification_seen(notice.notification_id):
        return Outcome.ALREADY_APPLIED
    try:
        async with atomic():
            matches = _merchant_matches(resources, notice)
            settles = matches and reported.state is TradeState.SUCCESS
            applied = False
            if not matches:
                await repo.add_anomaly(
                    AnomalyKind.MERCHANT_MISMATCH,
                    reported.out_trade_no,
                    notification_id=notice.notification_id,
                    transaction_id=reported.transaction_id,
                    reported_fen=reported.amount_fen,
                )
            elif settles:
                applied = await orders.settle_paid(
                    reported, notification_id=notice.notification_id, now=now
                )
            await repo.record_notification(
                notification_id=notice.notification_id,
                event_type=notice.event_type[:32],
                out_trade_no=reported.out_trade_no,
                applied=applied,
                received_at=now,
            )
    except IntegrityError:
        # The same notification, delivered twice at once: the other delivery applied it.
        return Outcome.ALREADY_APPLIED
    if not matches or (settles and not applied):
        return Outcome.KEPT
    return Outcome.APPLIED if settles else Outcome.IGNORED


async def apply_refund(resources: Resources, notice: RefundNotice) -> Outcome:
    now = resources.clock()
    if await repo.notification_seen(notice.notification_id):
        return Outcome.ALREADY_APPLIED
    try:
        async with atomic():
            applied = await refunds.settle(
                notice.refund, notification_id=notice.notification_id, now=now
            )
            await repo.record_notification(
                notification_id=notice.notification_id,
                event_type=notice.event_type[:32],
                out_trade_no=notice.refund.out_trade_no,
                out_refund_no=notice.refund.out_refund_no,
                applied=applied,
                received_at=now,
            )
    except IntegrityError:
        return Outcome.ALREADY_APPLIED
    return Outcome.APPLIED if applied else Outcome.KEPT
