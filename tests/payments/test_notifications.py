"""WeChat Pay's notifications at POST /payments/wechat/notify: verified, applied exactly once
under duplicate and concurrent deliveries, refused without side effects when forged, kept
for finance (never applied) when they do not match our records."""

from __future__ import annotations

import asyncio

import httpx

from storage.models.outbox import OutboxMessage
from storage.models.payments import (
    AnomalyKind,
    OrderStatus,
    Payment,
    PaymentAnomaly,
    PaymentNotification,
    PaymentOrder,
    PaymentStatus,
)
from tests.conftest import RunningApp
from tests.payments.conftest import (
    accept,
    create_payment,
    deliver,
    lead_officer,
    pay_on_phone,
    resident_with_application,
    sunk,
)


async def _paid_on_phone(
    running: RunningApp, wechat: httpx.AsyncClient, user: str, **extra: object
) -> tuple[str, list[dict[str, object]]]:
    program, application_id = await resident_with_application(running, wechat, user)
    await accept(running, await lead_officer(running, application_id), application_id)
    request = await create_payment(running, program.token, application_id)
    assert request["__typename"] == "PaymentRequest", request
    copies = int(str(extra.get("duplicate", 1)))
    answer = await pay_on_phone(wechat, request, **extra)
    assert answer.status_code == 200, answer.text
    return application_id, await sunk(wechat, copies)


async def _receipt_messages() -> int:
    return await OutboxMessage.filter(kind="payments.receipt").count()


async def test_concurrent_duplicates_apply_once(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    _, notices = await _paid_on_phone(seeded, wechat, "dup-payer", duplicate=3)
    # WeChat's three copies, each delivered twice at once (retries overlapping).
    answers = await asyncio.gather(*(deliver(seeded, n) for n in notices * 2))
    assert [a.status_code for a in answers] == [200] * 6
    assert {a.json()["code"] for a in answers} == {"SUCCESS"}
    payment = await Payment.get()
    assert payment.status is PaymentStatus.PAID
    assert payment.paid_fen == 2000
    assert await PaymentNotification.all().count() == 1
    assert await _receipt_messages() == 1
    assert await PaymentOrder.filter(status=OrderStatus.PAID).count() == 1
    # A day later WeChat retries once more: answered, nothing done again.
    again = await deliver(seeded, notices[0])
    assert again.status_code == 200
    assert await _receipt_messages() == 1


async def test_a_forged_signature_is_refused_without_effect(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program, application_id = await resident_with_application(seeded, wechat, "forged")
    await accept(seeded, await lead_officer(seeded, application_id), application_id)
    request = await create_payment(seeded, program.token, application_id)
    order = await PaymentOrder.get()
    # The phone pays, and a forger replays it with a bad signature (and a stale one).
    await pay_on_phone(wechat, request)
    genuine = (await sunk(wechat, 1))[0]
    for forge in ("signature", "serial", "timestamp", "ciphertext"):
        sent = await wechat.post(
            "/__mock__/pay/notify", json={"outTradeNo": order.out_trade_no, "forge": forge}
        )
        assert sent.status_code == 200, sent.text
    forged = (await sunk(wechat, 5))[1:]
    for notice in forged:
        answer = await deliver(seeded, notice)
        assert answer.status_code == 401, notice
        assert answer.json()["code"] == "FAIL"
    tampered = dict(genuine)
    tampered["body"] = str(genuine["body"]).replace("TRANSACTION", "TRANSACTlON", 1)
    assert tampered["body"] != genuine["body"]
    assert (await deliver(seeded, tampered)).status_code == 401
    assert (await Payment.get()).status is PaymentStatus.DUE
    assert await PaymentNotification.all().count() == 0
    assert await PaymentAnomaly.all().count() == 0
    assert (await deliver(seeded, genuine)).status_code == 200
    assert (await Payment.get()).status is PaymentStatus.PAID


async def test_a_mismatched_amount_is_kept_not_applied(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    _, notices = await _paid_on_phone(seeded, wechat, "mismatch")
    # Our record of the order says another amount than WeChat reports.
    await PaymentOrder.all().update(amount_fen=1999)
    answer = await deliver(seeded, notices[0])
    assert answer.status_code == 200  # taken: WeChat need not retry a kept one
    anomaly = await PaymentAnomaly.get()
    assert anomaly.kind is AnomalyKind.AMOUNT_MISMATCH
    assert anomaly.expected_fen == 1999
    assert anomaly.reported_fen == 2000
    payment = await Payment.get()
    assert payment.status is PaymentStatus.DUE
    assert payment.paid_fen == 0
    notification = await PaymentNotification.get()
    assert notification.applied is False
    assert await _receipt_messages() == 0


async def test_an_unknown_order_is_kept_for_finance(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    _, notices = await _paid_on_phone(seeded, wechat, "unknown-order")
    await PaymentOrder.all().update(out_trade_no="RB" + "0" * 30)
    assert (await deliver(seeded, notices[0])).status_code == 200
    anomaly = await PaymentAnomaly.get()
    assert anomaly.kind is AnomalyKind.UNKNOWN_ORDER
    assert (await Payment.get()).status is PaymentStatus.DUE


async def test_a_notification_for_another_merchant_is_kept(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    _, notices = await _paid_on_phone(seeded, wechat, "other-merchant")
    seeded.resources.settings = seeded.settings.model_copy(update={"wechatpay_mchid": "1900000001"})
    try:
        assert (await deliver(seeded, notices[0])).status_code == 200
    finally:
        seeded.resources.settings = seeded.settings
    assert (await PaymentAnomaly.get()).kind is AnomalyKind.MERCHANT_MISMATCH
    assert (await Payment.get()).status is PaymentStatus.DUE


async def test_an_empty_or_oversized_body_is_refused(seeded: RunningApp) -> None:
    empty = await seeded.client.post("/payments/wechat/notify", content=b"")
    assert empty.status_code == 401
    huge = await seeded.client.post("/payments/wechat/notify", content=b"x" * (65 * 1024))
    assert huge.status_code == 413
    assert await PaymentNotification.all().count() == 0


async def test_notifications_out_of_order_change_nothing_twice(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    from tests.applications.conftest import WITHDRAW
    from tests.payments.conftest import REPLACEMENT, drain, pay

    program, application_id = await resident_with_application(
        seeded, wechat, "out-of-order", REPLACEMENT
    )
    await pay(seeded, wechat, program, application_id)
    await seeded.gql(WITHDRAW, {"input": {"applicationId": application_id}}, token=program.token)
    await drain(seeded)
    order = await PaymentOrder.get()
    # WeChat re-sends the order's payment and refund notifications, newest first, twice.
    before = len(await sunk(wechat, 2))
    sent = await wechat.post(
        "/__mock__/pay/notify",
        json={"outTradeNo": order.out_trade_no, "outOfOrder": True, "times": 2},
    )
    assert sent.status_code == 200, sent.text
    resent = (await sunk(wechat, before + 4))[before:]
    answers = await asyncio.gather(*(deliver(seeded, n) for n in resent))
    assert [a.status_code for a in answers] == [200] * 4
    payment = await Payment.get()
    assert payment.status is PaymentStatus.REFUNDED
    assert (payment.paid_fen, payment.refunded_fen) == (2000, 2000)
    assert await PaymentNotification.all().count() == 2
    assert await _receipt_messages() == 1


ANOMALIES = (
    "query($after: String) { paymentAnomalies(first: 1, after: $after) { "
    "edges { node { kind outTradeNo expectedFen reportedFen } } "
    "pageInfo { hasNextPage endCursor } } }"
)


async def test_finance_reads_the_anomalies_page_by_page(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    from tests.appeals.conftest import admin_token

    _, notices = await _paid_on_phone(seeded, wechat, "for-finance")
    order = await PaymentOrder.get()
    await PaymentOrder.all().update(amount_fen=1999)
    await deliver(seeded, notices[0])
    await PaymentOrder.all().update(amount_fen=2000, out_trade_no="RB" + "2" * 30)
    await PaymentNotification.all().delete()  # as if WeChat had sent another notification
    await deliver(seeded, notices[0])
    assert await PaymentAnomaly.all().count() == 2
    token = await admin_token(seeded)
    first = (await seeded.gql.data(ANOMALIES, {}, token=token))["paymentAnomalies"]
    assert [e["node"] for e in first["edges"]] == [
        {
            "kind": "UNKNOWN_ORDER",
            "outTradeNo": order.out_trade_no,
            "expectedFen": None,
            "reportedFen": 2000,
        }
    ]
    assert first["pageInfo"]["hasNextPage"] is True
    after = first["pageInfo"]["endCursor"]
    second = (await seeded.gql.data(ANOMALIES, {"after": after}, token=token))["paymentAnomalies"]
    assert [e["node"]["kind"] for e in second["edges"]] == ["AMOUNT_MISMATCH"]
    assert second["edges"][0]["node"]["expectedFen"] == 1999
    assert second["pageInfo"]["hasNextPage"] is False
    anonymous = await seeded.gql(ANOMALIES, {})
    assert anonymous.errors
