"""Daily reconciliation: WeChat Pay's trade bill of a day (its hash checked by the gateway)
matched line by line with our paid orders and refunds of that day (China time). Every
line is either matched, paid-but-unknown (WeChat has it, we do not know it as paid),
or an amount mismatch; each of ours WeChat does not have is known-but-unpaid."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from integrations.wechatpay.protocol import PaymentUnavailable, TradeBill
from resolvers.resources import Resources
from storage.models.payments import OrderStatus, RefundStatus
from storage.repositories import payments as repo

CHINA = timezone(timedelta(hours=8))
# WeChat Pay publishes the previous day's bill from 10:00 China time.
BILL_READY = time(10, 0)


class BillUnavailable(Exception):
    """The day's bill cannot be had yet (or WeChat Pay is not reachable)."""


@dataclass(slots=True)
class Report:
    day: date
    lines: int = 0
    matched: int = 0
    paid_but_unknown: list[dict[str, Any]] = field(default_factory=list)
    known_but_unpaid: list[dict[str, Any]] = field(default_factory=list)
    amount_mismatches: list[dict[str, Any]] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.paid_but_unknown or self.known_but_unpaid or self.amount_mismatches)


def day_window(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0, 0), tzinfo=CHINA)
    return start, start + timedelta(days=1)


async def match(bill: TradeBill) -> Report:
    """The bill against our records of its day; nothing is changed."""
    report = Report(day=bill.day, lines=len(bill.lines))
    start, end = day_window(bill.day)
    trades = [line for line in bill.lines if line.trade_state == "SUCCESS"]
    refund_lines = [line for line in bill.lines if line.trade_state == "REFUND"]
    orders = {
        o.out_trade_no: o
        for o in await repo.orders_by_trade_nos([line.out_trade_no for line in trades])
    }
    for line in trades:
        order = orders.get(line.out_trade_no)
        if order is None or order.status is not OrderStatus.PAID:
            report.paid_but_unknown.append(
                {"outTradeNo": line.out_trade_no, "amountFen": line.amount_fen}
            )
        elif order.amount_fen != line.amount_fen:
            report.amount_mismatches.append(
                {
                    "outTradeNo": line.out_trade_no,
                    "oursFen": order.amount_fen,
                    "billFen": line.amount_fen,
                }
            )
        else:
            report.matched += 1
    refunds = {
        r.out_refund_no: r
        for r in await repo.refunds_by_numbers([line.out_refund_no for line in refund_lines])
    }
    for line in refund_lines:
        refund = refunds.get(line.out_refund_no)
        if refund is None or refund.status is not RefundStatus.SUCCESS:
            report.paid_but_unknown.append(
                {"outRefundNo": line.out_refund_no, "refundFen": line.refund_fen}
            )
        elif refund.amount_fen != line.refund_fen:
            report.amount_mismatches.append(
                {
                    "outRefundNo": line.out_refund_no,
                    "oursFen": refund.amount_fen,
                    "billFen": line.refund_fen,
                }
            )
        else:
            report.matched += 1
    billed = {line.out_trade_no for line in trades}
    for order in await repo.paid_orders_between(start, end):
        if order.out_trade_no not in billed:
            report.known_but_unpaid.append(
                {"outTradeNo": order.out_trade_no, "amountFen": order.amount_fen}
            )
    refunded = {line.out_refund_no for line in refund_lines}
    for refund in await repo.refunds_between(start, end):
        if refund.out_refund_no not in refunded:
            report.known_but_unpaid.append(
                {"outRefundNo": refund.out_refund_no, "refundFen": refund.amount_fen}
            )
    return report


async def reconcile(resources: Resources, day: date) -> Report:
    """Downloads the day's bill, matches it and keeps the outcome."""
    gateway = resources.payments
    if gateway is None:
        raise BillUnavailable("no payment gateway configured")
    try:
        bill = await gateway.trade_bill(day)
    except PaymentUnavailable as exc:
        raise BillUnavailable(str(exc)) from exc
    report = await match(bill)
    await repo.save_reconciliation(
        day=day,
        lines=report.lines,
        matched=report.matched,
        paid_but_unknown=report.paid_but_unknown,
        known_but_unpaid=report.known_but_unpaid,
        amount_mismatches=report.amount_mismatches,
        clean=report.clean,
    )
    return report


async def daily(resources: Resources) -> int:
    """The worker's daily run: yesterday's bill, once it is published and not yet matched.
    Returns how many mismatches it found (0 also when there was nothing to do)."""
    now = resources.clock().astimezone(CHINA)
    if now.time() < BILL_READY:
        return 0
    yesterday = now.date() - timedelta(days=1)
    if await repo.reconciled(yesterday):
        return 0
    try:
        report = await reconcile(resources, yesterday)
    except BillUnavailable:
        return 0  # tried again on the next run
    return (
        len(report.paid_but_unknown) + len(report.known_but_unpaid) + len(report.amount_mismatches)
    )
