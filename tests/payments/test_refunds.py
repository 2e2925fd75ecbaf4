"""Refunds: a withdrawal or a denial after payment refunds in full, automatically; an item
exempted after payment is refunded alone. Each refund is asked of WeChat Pay after commit
and settled by its own notification (or, when none comes, the worker's query)."""

from __future__ import annotations

import httpx

from api.worker import sweep_payments
from storage.models.catalogue import Implementation
from storage.models.payments import Payment, PaymentRefund, PaymentStatus, RefundStatus
from tests.applications.conftest import COMPLETE, WITHDRAW, implementation
from tests.conftest import RunningApp
from tests.payments.conftest import (
    EXEMPT,
    RENEWAL,
    REPLACEMENT,
    accept,
    application,
    deliver,
    drain,
    lead_officer,
    pay,
    resident_with_application,
    sunk,
)


async def _settle_refund(running: RunningApp, wechat: httpx.AsyncClient, sent_before: int) -> None:
    """The refund goes to WeChat (outbox), WeChat notifies its success, we apply it."""
    await drain(running)
    notice = (await sunk(wechat, sent_before + 1))[sent_before]
    answer = await deliver(running, notice)
    assert answer.status_code == 200, answer.text


async def test_withdrawing_after_payment_refunds_in_full(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program, application_id = await resident_with_application(
        seeded, wechat, "withdraws", REPLACEMENT
    )
    await pay(seeded, wechat, program, application_id)
    withdrawn = await seeded.gql(
        WITHDRAW, {"input": {"applicationId": application_id}}, token=program.token
    )
    assert withdrawn.data["withdrawApplication"]["status"] == "WITHDRAWN", withdrawn.data
    payment = await Payment.get()
    assert payment.status is PaymentStatus.REFUNDED
    assert payment.refunded_fen == 2000
    refund = await PaymentRefund.get()
    assert refund.amount_fen == 2000
    assert refund.status is RefundStatus.PENDING
    await _settle_refund(seeded, wechat, 1)
    refund = await PaymentRefund.get()
    assert refund.status is RefundStatus.SUCCESS
    shown = await application(seeded, program.token, application_id)
    assert shown["payment"]["refunds"] == [
        {"amountFen": 2000, "reason": "申请已撤回", "status": "SUCCESS"}
    ]
    refunds = (await wechat.get("/__mock__/pay/refunds")).json()
    assert [r["amount"]["refund"] for r in refunds] == [2000]


async def test_withdrawing_before_payment_cancels_the_fee(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program, application_id = await resident_with_application(
        seeded, wechat, "withdraws-unpaid", REPLACEMENT
    )
    withdrawn = await seeded.gql(
        WITHDRAW, {"input": {"applicationId": application_id}}, token=program.token
    )
    assert withdrawn.data["withdrawApplication"]["status"] == "WITHDRAWN"
    assert (await Payment.get()).status is PaymentStatus.CANCELLED
    assert await PaymentRefund.all().count() == 0


async def test_a_denial_after_payment_refunds_in_full(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program, application_id = await resident_with_application(seeded, wechat, "denied")
    officer = await lead_officer(seeded, application_id)
    await accept(seeded, officer, application_id)
    await pay(seeded, wechat, program, application_id)
    tasks = (
        await seeded.gql.data(
            "query($id: ID!) { application(id: $id) { tasks { id } } }",
            {"id": application_id},
            token=officer,
        )
    )["application"]["tasks"]
    denied = await seeded.gql(
        COMPLETE,
        {"input": {"taskId": tasks[0]["id"], "outcome": "DENIED", "note": "照片不合格"}},
        token=officer,
    )
    assert denied.data["completeTask"]["status"] == "DENIED", denied.data
    payment = await Payment.get()
    assert payment.status is PaymentStatus.REFUNDED
    await _settle_refund(seeded, wechat, 1)
    assert (await PaymentRefund.get()).status is RefundStatus.SUCCESS


async def test_an_item_exempted_after_payment_is_refunded_alone(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    # A guide with two items: the card fee (exemptible) and a delivery fee.
    item = await implementation(RENEWAL)
    fee_items = [
        *item.fee_items,
        {"name": "证件邮寄费", "amountFen": 1500, "unit": "件", "legalBasis": "邮政资费标准"},
    ]
    await Implementation.filter(id=item.id).update(fee_items=fee_items)
    program, application_id = await resident_with_application(seeded, wechat, "partial")
    officer = await lead_officer(seeded, application_id)
    await accept(seeded, officer, application_id)
    await pay(seeded, wechat, program, application_id)
    assert (await Payment.get()).paid_fen == 3500

    exempted = await seeded.gql(
        EXEMPT,
        {
            "input": {
                "applicationId": application_id,
                "position": 0,
                "rule": "DIBAO",
                "note": "已核验低保证",
            }
        },
        token=officer,
    )
    found = exempted.data["exemptFeeItem"]
    assert found["__typename"] == "Payment", found
    assert found["status"] == "PAID"
    assert found["refundedFen"] == 2000
    assert found["items"][0]["exempt"] is True
    assert found["items"][0]["exemptionReason"] == "最低生活保障对象：已核验低保证"
    await _settle_refund(seeded, wechat, 1)
    refund = await PaymentRefund.get()
    assert (refund.amount_fen, refund.status) == (2000, RefundStatus.SUCCESS)
    refunds = (await wechat.get("/__mock__/pay/refunds")).json()
    assert [r["amount"]["refund"] for r in refunds] == [2000]
    assert [r["amount"]["total"] for r in refunds] == [3500]


async def test_a_refund_without_notification_is_settled_by_the_worker(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    from datetime import timedelta

    program, application_id = await resident_with_application(
        seeded, wechat, "silent-refund", REPLACEMENT
    )
    await pay(seeded, wechat, program, application_id)
    await seeded.gql(WITHDRAW, {"input": {"applicationId": application_id}}, token=program.token)
    await drain(seeded)
    await sunk(wechat, 2)  # WeChat sent it; it never reached us
    real = seeded.resources.clock
    later = real() + timedelta(minutes=2)
    seeded.resources.clock = lambda: later
    try:
        assert await sweep_payments(seeded.resources) >= 1
    finally:
        seeded.resources.clock = real
    assert (await PaymentRefund.get()).status is RefundStatus.SUCCESS
