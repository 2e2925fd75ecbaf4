"""The worker's side of payments: orders and refunds that no notification settled are asked
about (a notification can be lost), and orders past their time limit are closed at WeChat
Pay (not before WeChat allows) so that a new one can be made."""

from __future__ import annotations

import logging
from datetime import timedelta

from integrations.wechatpay.protocol import (
    PaymentRejected,
    PaymentUnavailable,
    TradeState,
)
from resolvers.outbox.service import Handler, Permanent, Retry
from resolvers.payments import orders, refunds
from resolvers.payments.ledger import CLOSE_NOT_BEFORE, CLOSE_ORDER
from resolvers.resources import Resources
from storage.models.outbox import OutboxMessage
from storage.repositories import payments as repo
from storage.transactions import atomic

log = logging.getLogger(__name__)

# A notification usually comes within seconds; an order silent for this long is asked about.
QUIET = timedelta(minutes=1)
BATCH = 50
# Trade states after which the order can never be paid.
_DEAD = (TradeState.CLOSED, TradeState.REVOKED, TradeState.PAYERROR)


async def query_silent_orders(resources: Resources) -> int:
    """Open orders that no notification settled: paid ones are applied as a notification
    would be, expired ones closed at WeChat Pay and here."""
    gateway = resources.payments
    if gateway is None:
        return 0
    now = resources.clock()
    done = 0
    for order in await repo.silent_orders(placed_before=now - QUIET, limit=BATCH):
        await repo.touch_order(order.id, now=now)
        try:
            reported = await gateway.query_order(order.out_trade_no)
        except PaymentUnavailable:
            continue
        except PaymentRejected as exc:
            # Never placed (its placing failed or was cut short): once it could no longer
            # have been paid anyway, it is closed here.
            log.info("order query refused: %s", exc.code)
            if now >= order.expires_at:
                async with atomic():
                    await repo.close_order(order.id, now=now)
                done += 1
            continue
        if reported.state is TradeState.SUCCESS:
            async with atomic():
                await orders.settle_paid(reported, notification_id=None, now=now)
            done += 1
        elif reported.state in _DEAD:
            async with atomic():
                await repo.close_order(order.id, now=now)
            done += 1
        elif now >= order.expires_at and now >= order.created_at + CLOSE_NOT_BEFORE:
            try:
                await gateway.close_order(order.out_trade_no)
            except PaymentRejected as exc:
                if exc.code == "ORDERPAID":  # paid in the meantime: the next pass applies it
                    continue
                log.warning("closing order refused: %s", exc.code)
                continue
            except PaymentUnavailable:
                continue
            async with atomic():
                await repo.close_order(order.id, now=now)
            done += 1
    return done


async def query_unsettled_refunds(resources: Resources) -> int:
    gateway = resources.payments
    if gateway is None:
        return 0
    now = resources.clock()
    done = 0
    for refund in await repo.unsettled_refunds(created_before=now - QUIET, limit=BATCH):
        try:
            answer = await gateway.query_refund(refund.out_refund_no)
        except (PaymentUnavailable, PaymentRejected) as exc:
            log.info("refund query failed: %s", type(exc).__name__)
            continue
        if await refunds.settle(answer, notification_id=None, now=now):
            done += 1
    return done


async def run(resources: Resources) -> int:
    return await query_silent_orders(resources) + await query_unsettled_refunds(resources)


async def _close(resources: Resources, message: OutboxMessage) -> None:
    """Closes at WeChat Pay an order we closed here (superseded, cancelled, paid by another)."""
    gateway = resources.payments
    if gateway is None:
        raise Retry("no payment gateway configured")
    out_trade_no = message.payload["out_trade_no"]
    try:
        await gateway.close_order(out_trade_no)
    except PaymentUnavailable as exc:
        raise Retry("wechat pay unavailable") from exc
    except PaymentRejected as exc:
        if exc.code != "ORDERPAID":
            raise Permanent(f"close refused: {exc.code}") from exc
        # Paid before the close reached WeChat: applied (or refunded) as WeChat reports it.
        reported = await gateway.query_order(out_trade_no)
        if reported.state is TradeState.SUCCESS:
            async with atomic():
                await orders.settle_paid(reported, notification_id=None, now=resources.clock())


HANDLERS: dict[str, Handler] = {CLOSE_ORDER: _close}
