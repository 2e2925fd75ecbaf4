"""Refunds: written with the change that causes them (a withdrawal, a denial, an exemption
after payment), asked of WeChat Pay after commit by the outbox, settled by WeChat's refund
notification or, when none arrives, by the worker's query."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime

from integrations.wechatpay.protocol import (
    PaymentRejected,
    PaymentUnavailable,
    Refund,
    RefundRequest,
    RefundState,
)
from resolvers.notifications.service import enqueue_inbox
from resolvers.outbox.service import Handler, Permanent, Retry
from resolvers.resources import Resources
from storage.models.outbox import OutboxMessage
from storage.models.payments import (
    AnomalyKind,
    Payment,
    PaymentOrder,
    PaymentRefund,
    RefundStatus,
)
from storage.repositories import outbox as outbox_repo
from storage.repositories import payments as repo
from storage.transactions import atomic

log = logging.getLogger(__name__)

REFUND = "payments.refund"
# WeChat Pay shows the reason to the payer: at most 80 characters.
MAX_REASON = 80


def new_refund_no() -> str:
    """Random, like order numbers: nobody can guess another payer's refund."""
    return "RF" + secrets.token_hex(15)


async def refund_order(
    payment: Payment,
    amount_fen: int,
    *,
    reason: str,
    now: datetime,
    order: PaymentOrder | None = None,
) -> PaymentRefund | None:
    """Inside the caller's transaction (the payment locked): a refund of `amount_fen` of
    `order` (by default the order that paid the payment), sent after commit."""
    if order is None:
        order = await repo.paid_order_of(payment.id, payment.transaction_id)
    if order is None or amount_fen <= 0:
        return None
    refund = await repo.create_refund(
        payment_id=payment.id,
        order_id=order.id,
        out_refund_no=new_refund_no(),
        amount_fen=amount_fen,
        reason=reason[:MAX_REASON],
    )
    await outbox_repo.enqueue(
        REFUND, f"refund:{refund.out_refund_no}", {"refund_id": str(refund.id)}, now=now
    )
    return refund


async def _send(resources: Resources, message: OutboxMessage) -> None:
    refund = await repo.refund_by_id(message.payload["refund_id"])
    if refund is None or refund.status is not RefundStatus.PENDING:
        return  # sent already (a handler may run twice): WeChat answered it then
    gateway = resources.payments
    if gateway is None:
        raise Retry("no payment gateway configured")
    order = await repo.order_by_id(refund.order_id)
    assert order is not None
    try:
        # The same out_refund_no asked twice is one refund at WeChat Pay.
        answer = await gateway.refund(
            RefundRequest(
                out_trade_no=order.out_trade_no,
                out_refund_no=refund.out_refund_no,
                refund_fen=refund.amount_fen,
                total_fen=order.amount_fen,
                reason=refund.reason,
            )
        )
    except PaymentUnavailable as exc:
        raise Retry("wechat pay unavailable") from exc
    except PaymentRejected as exc:
        await repo.set_refund(
            refund.id, expected=[RefundStatus.PENDING], status=RefundStatus.FAILED
        )
        raise Permanent(f"refund refused: {exc.code}") from exc
    await settle(answer, notification_id=None, now=resources.clock())


async def settle(answer: Refund, *, notification_id: str | None, now: datetime) -> bool:
    """Applies what WeChat Pay says of a refund (its answer, a notification, a query); False
    when it does not match ours (kept as an anomaly)."""
    async with atomic():
        refund = await repo.lock_refund(answer.out_refund_no)
        if refund is None:
            await repo.add_anomaly(
                AnomalyKind.UNKNOWN_REFUND,
                answer.out_trade_no,
                out_refund_no=answer.out_refund_no,
                notification_id=notification_id,
                reported_fen=answer.refund_fen,
            )
            return False
        if answer.refund_fen != refund.amount_fen:
            await repo.add_anomaly(
                AnomalyKind.REFUND_AMOUNT_MISMATCH,
                answer.out_trade_no,
                out_refund_no=answer.out_refund_no,
                notification_id=notification_id,
                expected_fen=refund.amount_fen,
                reported_fen=answer.refund_fen,
            )
            return False
        open_states = [RefundStatus.PENDING, RefundStatus.PROCESSING]
        if answer.state is RefundState.SUCCESS:
            if await repo.set_refund(
                refund.id,
                expected=open_states,
                status=RefundStatus.SUCCESS,
                refund_id=answer.refund_id,
                succeeded_at=answer.success_time or now,
            ):
                payment = await repo.by_id(refund.payment_id)
                assert payment is not None
                await enqueue_inbox(
                    key=str(payment.application_id),
                    now=now,
                    topic="PAYMENT_REFUNDED",
                    title="退款成功",
                    body=f"已退还 {refund.amount_fen / 100:.2f} 元，原路退回您的微信支付账户。",
                    subject_id=payment.application_id,
                    account_ids=[payment.owner_id],
                )
        elif answer.state is RefundState.PROCESSING:
            await repo.set_refund(
                refund.id,
                expected=[RefundStatus.PENDING],
                status=RefundStatus.PROCESSING,
                refund_id=answer.refund_id,
            )
        else:  # CLOSED or ABNORMAL: the money did not go back; finance handles it by hand
            await repo.set_refund(refund.id, expected=open_states, status=RefundStatus.FAILED)
            log.warning("refund %s ended %s", refund.out_refund_no, answer.state)
        return True


HANDLERS: dict[str, Handler] = {REFUND: _send}
