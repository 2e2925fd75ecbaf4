"""Orders: an unpaid order closes after its time limit and a new one (a new out_trade_no)
can be made; an order no notification reported is asked about by the worker."""

from __future__ import annotations

from datetime import timedelta

import httpx

from api.worker import sweep_payments
from storage.models.outbox import OutboxMessage
from storage.models.payments import OrderStatus, Payment, PaymentOrder, PaymentStatus
from tests.conftest import RunningApp
from tests.payments.conftest import (
    accept,
    create_payment,
    lead_officer,
    pay_on_phone,
    resident_with_application,
    sunk,
)


async def test_an_expired_order_is_replaced_by_a_new_one(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program, application_id = await resident_with_application(seeded, wechat, "too-slow")
    await accept(seeded, await lead_officer(seeded, application_id), application_id)
    first = await create_payment(seeded, program.token, application_id)
    old = await PaymentOrder.get()
    real = seeded.resources.clock
    minutes = seeded.settings.wechatpay_order_minutes
    later = real() + timedelta(minutes=minutes + 1)
    seeded.resources.clock = lambda: later
    try:
        second = await create_payment(seeded, program.token, application_id)
    finally:
        seeded.resources.clock = real
    assert second["__typename"] == "PaymentRequest", second
    assert second["prepayId"] != first["prepayId"]
    orders = await PaymentOrder.all().order_by("created_at")
    assert [o.status for o in orders] == [OrderStatus.CLOSED, OrderStatus.OPEN]
    assert orders[1].out_trade_no != old.out_trade_no
    # WeChat is told to close the old one, not sooner than it allows (5 minutes after it).
    close = await OutboxMessage.get(kind="payments.close-order")
    assert close.payload == {"out_trade_no": old.out_trade_no}
    assert close.next_attempt_at >= old.created_at + timedelta(minutes=5)
    # The new order pays the fee.
    paid = await pay_on_phone(wechat, second)
    assert paid.status_code == 200, paid.text


async def test_the_worker_applies_a_payment_whose_notification_never_came(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program, application_id = await resident_with_application(seeded, wechat, "lost-notice")
    await accept(seeded, await lead_officer(seeded, application_id), application_id)
    request = await create_payment(seeded, program.token, application_id)
    await pay_on_phone(wechat, request)
    await sunk(wechat, 1)  # sent, never delivered to us
    assert (await Payment.get()).status is PaymentStatus.DUE
    real = seeded.resources.clock
    later = real() + timedelta(minutes=2)
    seeded.resources.clock = lambda: later
    try:
        assert await sweep_payments(seeded.resources) == 1
        assert await sweep_payments(seeded.resources) == 0  # asked once, applied once
    finally:
        seeded.resources.clock = real
    payment = await Payment.get()
    assert payment.status is PaymentStatus.PAID
    assert payment.paid_fen == 2000
    assert await OutboxMessage.filter(kind="payments.receipt").count() == 1


async def test_the_worker_closes_an_expired_unpaid_order(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program, application_id = await resident_with_application(seeded, wechat, "never-pays")
    await accept(seeded, await lead_officer(seeded, application_id), application_id)
    await create_payment(seeded, program.token, application_id)
    order = await PaymentOrder.get()
    real = seeded.resources.clock
    later = order.expires_at + timedelta(minutes=1)
    seeded.resources.clock = lambda: later
    try:
        assert await sweep_payments(seeded.resources) == 1
    finally:
        seeded.resources.clock = real
    assert (await PaymentOrder.get()).status is OrderStatus.CLOSED
    at_wechat = (await wechat.get("/__mock__/pay/orders")).json()
    assert [o["trade_state"] for o in at_wechat] == ["CLOSED"]
    # The fee is still due: a new order can be made.
    again = await create_payment(seeded, program.token, application_id)
    assert again["__typename"] == "PaymentRequest", again
