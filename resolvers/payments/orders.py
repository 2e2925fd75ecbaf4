"""WeChat Pay orders: placing one for what an application owes (the amount is always ours,
never the client's), at most one open per payment, and applying a paid order exactly once,
whether WeChat's notification or the worker's query reports it."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from integrations.wechatpay.protocol import (
    Channel,
    ClientPayment,
    Order,
    OrderRequest,
    PaymentRejected,
    PaymentUnavailable,
)
from resolvers import policy
from resolvers.notifications.service import enqueue_inbox
from resolvers.payments.errors import PaymentError
from resolvers.payments.errors import PaymentErrorCode as Code
from resolvers.payments.ledger import close_open_orders
from resolvers.payments.receipts import RECEIPT
from resolvers.payments.refunds import refund_order
from resolvers.principal import Principal
from resolvers.resources import Resources
from storage.models.payments import (
    AnomalyKind,
    OrderStatus,
    PaymentChannel,
    PaymentOrder,
    PaymentStatus,
)
from storage.repositories import outbox as outbox_repo
from storage.repositories import payments as repo
from storage.transactions import atomic

log = logging.getLogger(__name__)

# An order handed out again must leave the payer this long to finish paying it.
REUSE_MARGIN = timedelta(minutes=1)
# An order row whose placing at WeChat has not come back yet: another request for the same
# payment waits for it (CONFLICT) rather than placing a second one.
PLACING_SECONDS = 30


def new_trade_no() -> str:
    """32 characters, 120 random bits: unguessable, and never the same twice."""
    return "RB" + secrets.token_hex(15)


async def _subject(principal: Principal, application_id: UUID) -> policy.Subject | None:
    application = await repo.application(application_id)
    if application is None:
        return None
    return policy.Subject(
        owner_id=application.owner_id,
        department_id=application.department_id,
        region_id=application.region_id,
    )


async def create_payment(
    resources: Resources,
    principal: Principal,
    application_id: UUID,
    channel: PaymentChannel,
) -> ClientPayment:
    """What wx.requestPayment (or the app's SDK) needs to pay the application's fee. Asking
    again while an order is open returns that order; an expired one is closed and replaced."""
    await policy.authorize_seen(
        resources,
        principal,
        policy.Action.PAYMENT_CREATE,
        await _subject(principal, application_id),
        seen_by=policy.Action.APPLICATION_READ,
        hidden=PaymentError(Code.NOT_FOUND, "applicationId"),
        field="applicationId",
    )
    gateway = resources.payments
    if gateway is None:
        raise PaymentError(Code.PAYMENT_UNAVAILABLE)
    openid = None
    if channel is PaymentChannel.JSAPI:
        assert principal.account_id is not None
        openid = await repo.openid_of(principal.account_id)
        if openid is None:
            raise PaymentError(Code.WECHAT_NOT_BOUND, "channel")
    now = resources.clock()
    minutes = resources.settings.wechatpay_order_minutes
    async with atomic():
        payment = await repo.lock_by_application(application_id)
        if payment is None:
            raise PaymentError(Code.NOTHING_DUE, "applicationId")
        if payment.status is PaymentStatus.PAID:
            raise PaymentError(Code.ALREADY_PAID, "applicationId")
        if payment.status is PaymentStatus.PENDING:
            raise PaymentError(Code.NOT_YET_DUE, "applicationId")
        if payment.status is not PaymentStatus.DUE or payment.amount_fen <= 0:
            raise PaymentError(Code.NOTHING_DUE, "applicationId")
        for order in await repo.open_orders_of(payment.id):
            if order.client_payment and _reusable(order, channel, payment.amount_fen, now):
                return _client_payment(order.client_payment)
            if not order.client_payment and now - order.created_at < timedelta(
                seconds=PLACING_SECONDS
            ):
                raise PaymentError(Code.CONFLICT, "applicationId")
        # Anything still open is expired, for another channel or amount, or its placing never
        # came back: closed, so that one order at most can be paid.
        await close_open_orders(payment.id, now=now)
        order = await repo.create_order(
            payment_id=payment.id,
            out_trade_no=new_trade_no(),
            channel=channel,
            amount_fen=payment.amount_fen,
            expires_at=now + timedelta(minutes=minutes),
        )
        request = OrderRequest(
            out_trade_no=order.out_trade_no,
            description=payment.description,
            amount_fen=payment.amount_fen,
            expires_at=order.expires_at,
            channel=Channel(channel.value),
            payer_openid=openid,
        )
    # Placed outside the transaction: no row stays locked while WeChat answers.
    try:
        signed = await gateway.create_order(request)
    except (PaymentUnavailable, PaymentRejected) as exc:
        log.warning("placing order failed: %s", type(exc).__name__)
        async with atomic():
            await repo.close_order(order.id, now=now)  # never placed: never reused
        raise PaymentError(Code.PAYMENT_UNAVAILABLE) from None
    await repo.set_client_payment(order.id, _stored(signed))
    return signed


def _reusable(order: PaymentOrder, channel: PaymentChannel, amount: int, now: datetime) -> bool:
    return (
        order.channel is channel
        and order.amount_fen == amount
        and order.expires_at - REUSE_MARGIN > now
    )


def _stored(signed: ClientPayment) -> dict[str, Any]:
    return {
        "channel": signed.channel.value,
        "app_id": signed.app_id,
        "time_stamp": signed.time_stamp,
        "nonce_str": signed.nonce_str,
        "package": signed.package,
        "sign_type": signed.sign_type,
        "pay_sign": signed.pay_sign,
        "prepay_id": signed.prepay_id,
        "partner_id": signed.partner_id,
    }


def _client_payment(stored: dict[str, Any]) -> ClientPayment:
    return ClientPayment(**{**stored, "channel": Channel(stored["channel"])})


async def settle_paid(reported: Order, *, notification_id: str | None, now: datetime) -> bool:
    """Inside the caller's transaction: applies a paid order that WeChat reported (by
    notification or query) once. Returns False when the report does not match ours: kept as
    an anomaly for finance, nothing applied."""
    order = await repo.lock_order(reported.out_trade_no)
    if order is None:
        await repo.add_anomaly(
            AnomalyKind.UNKNOWN_ORDER,
            reported.out_trade_no,
            notification_id=notification_id,
            transaction_id=reported.transaction_id,
            reported_fen=reported.amount_fen,
        )
        return False
    if reported.amount_fen != order.amount_fen:
        await repo.add_anomaly(
            AnomalyKind.AMOUNT_MISMATCH,
            order.out_trade_no,
            notification_id=notification_id,
            transaction_id=reported.transaction_id,
            expected_fen=order.amount_fen,
            reported_fen=reported.amount_fen,
        )
        return False
    if order.status is OrderStatus.PAID:
        return True  # applied already (another notification, or the worker's query)
    payment = await repo.lock(order.payment_id)
    assert payment is not None
    paid_at = reported.success_time or now
    payable = payment.status is PaymentStatus.DUE and payment.amount_fen == order.amount_fen
    if not payable:
        # Paid an order we closed (the application ended, an item was exempted, or another
        # order paid first): kept for finance, and the money goes back.
        await repo.add_anomaly(
            AnomalyKind.PAID_AFTER_CLOSE,
            order.out_trade_no,
            notification_id=notification_id,
            transaction_id=reported.transaction_id,
            expected_fen=payment.amount_fen,
            reported_fen=reported.amount_fen,
            note=f"payment {payment.status.value}",
        )
        await repo.mark_order_paid(
            order.id, transaction_id=reported.transaction_id, paid_at=paid_at
        )
        await refund_order(
            payment, order.amount_fen, reason="重复或已关闭订单的缴费", now=now, order=order
        )
        return False
    await repo.mark_order_paid(order.id, transaction_id=reported.transaction_id, paid_at=paid_at)
    await repo.update(
        payment.id,
        status=PaymentStatus.PAID,
        paid_fen=order.amount_fen,
        paid_at=paid_at,
        transaction_id=reported.transaction_id,
    )
    await close_open_orders(payment.id, now=now)
    await outbox_repo.enqueue(
        RECEIPT, f"receipt:{payment.id}", {"payment_id": str(payment.id)}, now=now
    )
    await enqueue_inbox(
        key=str(payment.application_id),
        now=now,
        topic="PAYMENT_PAID",
        title="缴费成功",
        body=f"已缴纳 {order.amount_fen / 100:.2f} 元，电子票据将存入您的材料库。",
        subject_id=payment.application_id,
        account_ids=[payment.owner_id],
    )
    return True
