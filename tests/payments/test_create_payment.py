"""createPayment: what wx.requestPayment needs, for the fee our records say is due, only for
one's own application, one open order per fee; the application waits for the fee."""

from __future__ import annotations

from typing import Any

import httpx

from storage.models.catalogue import Department, Implementation, PublicationStatus
from storage.models.payments import (
    OrderStatus,
    Payment,
    PaymentOrder,
    PaymentReceipt,
    PaymentStatus,
)
from tests.applications.conftest import COMPLETE, ISSUE, verified_resident
from tests.conftest import RunningApp
from tests.payments.conftest import (
    FREE,
    RENEWAL,
    accept,
    application,
    apply_for,
    create_payment,
    drain,
    lead_officer,
    pay,
    resident_with_application,
)


async def test_the_fee_is_due_once_accepted_and_paid_before_the_result(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program, application_id = await resident_with_application(seeded, wechat, "fee-payer")
    shown = await application(seeded, program.token, application_id)
    assert shown["payment"]["status"] == "PENDING"
    assert shown["payment"]["amountFen"] == 2000
    assert shown["payment"]["chargedAt"] == "AFTER_ACCEPTANCE"
    item = shown["payment"]["items"][0]
    assert item["name"] == "居民身份证工本费"
    assert item["exemptions"] == [{"code": "DIBAO", "name": "最低生活保障对象"}]
    early = await create_payment(seeded, program.token, application_id)
    assert early["__typename"] == "CreatePaymentError"
    assert early["code"] == "NOT_YET_DUE"
    assert await PaymentOrder.all().count() == 0

    officer = await lead_officer(seeded, application_id)
    accepted = await accept(seeded, officer, application_id)
    assert accepted["status"] == "ACCEPTED", accepted
    shown = await application(seeded, program.token, application_id)
    assert shown["payment"]["status"] == "DUE"
    assert shown["payment"]["dueBy"] is not None

    # Every department approves: the result still waits for the fee.
    tasks = (
        await seeded.gql.data(
            "query($id: ID!) { application(id: $id) { tasks { id } } }",
            {"id": application_id},
            token=officer,
        )
    )["application"]["tasks"]
    for task in tasks:
        done = await seeded.gql(
            COMPLETE, {"input": {"taskId": task["id"], "outcome": "APPROVED"}}, token=officer
        )
        assert done.data["completeTask"]["__typename"] == "ApplicationTask", done.data
    refused = (
        await seeded.gql(ISSUE, {"input": {"applicationId": application_id}}, token=officer)
    ).data["issueResult"]
    assert refused["__typename"] == "IssueResultError"
    assert refused["code"] == "PAYMENT_DUE"

    await pay(seeded, wechat, program, application_id)
    shown = await application(seeded, program.token, application_id)
    assert shown["payment"]["status"] == "PAID"
    assert shown["payment"]["paidFen"] == 2000
    await drain(seeded)  # the receipt is issued after commit
    shown = await application(seeded, program.token, application_id)
    [receipt] = shown["payment"]["receipts"]
    assert receipt["amountFen"] == 2000
    assert receipt["document"]["kind"] == "RECEIPT"
    assert receipt["document"]["trustLevel"] == "A"
    assert receipt["department"]["code"] == shown["payment"]["items"][0]["department"]["code"]

    issued = (
        await seeded.gql(ISSUE, {"input": {"applicationId": application_id}}, token=officer)
    ).data["issueResult"]
    assert issued["__typename"] == "Application", issued
    assert issued["status"] == "COMPLETED"
    wallet = await program.my_documents()
    kinds = sorted(edge["node"]["kind"] for edge in wallet["edges"])
    assert "RECEIPT" in kinds
    assert "CERTIFICATE" in kinds


async def test_asking_again_answers_the_open_order(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program, application_id = await resident_with_application(seeded, wechat, "asks-twice")
    await accept(seeded, await lead_officer(seeded, application_id), application_id)
    first = await create_payment(seeded, program.token, application_id)
    second = await create_payment(seeded, program.token, application_id)
    assert first["__typename"] == "PaymentRequest", first
    assert first["package"] == f"prepay_id={first['prepayId']}"
    assert first["signType"] == "RSA"
    assert second["prepayId"] == first["prepayId"]
    assert await PaymentOrder.filter(status=OrderStatus.OPEN).count() == 1
    # The order's amount is ours: the fee record's 20.00 元.
    order = await PaymentOrder.get()
    assert order.amount_fen == 2000
    assert len(order.out_trade_no) == 32


async def test_the_app_channel_gets_an_app_order(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program, application_id = await resident_with_application(seeded, wechat, "app-payer")
    await accept(seeded, await lead_officer(seeded, application_id), application_id)
    request = await create_payment(seeded, program.token, application_id, channel="APP")
    assert request["__typename"] == "PaymentRequest", request
    assert request["channel"] == "APP"
    assert request["package"] == "Sign=WXPay"
    assert request["partnerId"]


async def test_someone_elses_application_is_not_found(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    owner, application_id = await resident_with_application(seeded, wechat, "the-owner")
    await accept(seeded, await lead_officer(seeded, application_id), application_id)
    other = await verified_resident(seeded, wechat, "someone-else")
    refused = await create_payment(seeded, other.token, application_id)
    assert refused["__typename"] == "CreatePaymentError"
    assert refused["code"] == "NOT_FOUND"
    assert refused["field"] == "applicationId"
    anonymous = await create_payment(seeded, None, application_id)
    assert anonymous["code"] == "UNAUTHENTICATED"
    garbage = await create_payment(seeded, owner.token, "not-an-id")
    assert garbage["code"] == "NOT_FOUND"
    assert await PaymentOrder.all().count() == 0


async def test_nothing_is_due_on_a_free_item(seeded: RunningApp, wechat: httpx.AsyncClient) -> None:
    from tests.applications.conftest import submit

    program = await verified_resident(seeded, wechat, "free-item")
    submitted = await submit(seeded, program)
    assert submitted["__typename"] == "Application", submitted
    assert (await application(seeded, program.token, submitted["id"]))["payment"] is None
    refused = await create_payment(seeded, program.token, submitted["id"])
    assert refused["code"] == "NOTHING_DUE"
    assert FREE[0] == "51000100020000"


async def test_the_amount_never_comes_from_the_client(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program, application_id = await resident_with_application(seeded, wechat, "sets-amount")
    await accept(seeded, await lead_officer(seeded, application_id), application_id)
    response = await seeded.gql(
        "mutation($input: CreatePaymentInput!) { createPayment(input: $input) { __typename } }",
        {"input": {"applicationId": application_id, "amountFen": 1}},
        token=program.token,
    )
    assert response.errors, response.data
    assert await PaymentOrder.all().count() == 0


async def test_a_paid_fee_is_not_paid_twice(seeded: RunningApp, wechat: httpx.AsyncClient) -> None:
    program, application_id = await resident_with_application(seeded, wechat, "pays-once")
    await accept(seeded, await lead_officer(seeded, application_id), application_id)
    await pay(seeded, wechat, program, application_id)
    again = await create_payment(seeded, program.token, application_id)
    assert again["code"] == "ALREADY_PAID"
    payment = await Payment.get()
    assert payment.status is PaymentStatus.PAID


async def test_without_wechat_pay_nothing_is_placed(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program, application_id = await resident_with_application(seeded, wechat, "no-merchant")
    await accept(seeded, await lead_officer(seeded, application_id), application_id)
    gateway: Any = seeded.resources.payments
    seeded.resources.payments = None
    try:
        refused = await create_payment(seeded, program.token, application_id)
    finally:
        seeded.resources.payments = gateway
    assert refused["code"] == "PAYMENT_UNAVAILABLE"
    assert await PaymentOrder.all().count() == 0


async def test_a_fee_charged_on_submission_holds_acceptance(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    from tests.payments.conftest import REPLACEMENT

    program = await verified_resident(seeded, wechat, "replacement")
    submitted = await apply_for(seeded, program, REPLACEMENT)
    application_id = submitted["id"]
    shown = await application(seeded, program.token, application_id)
    assert shown["payment"]["status"] == "DUE"
    officer = await lead_officer(seeded, application_id)
    held = await accept(seeded, officer, application_id)
    assert held["__typename"] == "AcceptApplicationError"
    assert held["code"] == "PAYMENT_DUE"
    await pay(seeded, wechat, program, application_id)
    accepted = await accept(seeded, officer, application_id)
    assert accepted["status"] == "ACCEPTED", accepted


async def test_concurrent_requests_place_one_order(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    import asyncio

    program, application_id = await resident_with_application(seeded, wechat, "double-tap")
    await accept(seeded, await lead_officer(seeded, application_id), application_id)
    answers = await asyncio.gather(
        *(create_payment(seeded, program.token, application_id) for _ in range(4))
    )
    placed = [a for a in answers if a["__typename"] == "PaymentRequest"]
    assert placed, answers
    assert {a["prepayId"] for a in placed} == {placed[0]["prepayId"]}
    # The others were told to try again while it was being placed: nothing else happened.
    assert {a.get("code") for a in answers if a not in placed} <= {"CONFLICT"}
    assert await PaymentOrder.all().count() == 1
    assert len((await wechat.get("/__mock__/pay/orders")).json()) == 1


async def test_each_charging_department_issues_its_own_receipt(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    renewal = await Implementation.get(
        base__basic_code=RENEWAL[0], region__code=RENEWAL[1], status=PublicationStatus.PUBLISHED
    )
    other = await Department.exclude(id=renewal.department_id).order_by("code").first()
    assert other is not None
    photo = {
        "name": "证件照片拍摄费",
        "amountFen": 1500,
        "legalBasis": "（演示）",
        "chargedAt": "AFTER_ACCEPTANCE",
        "chargingDepartment": other.code,
    }
    await Implementation.filter(id=renewal.id).update(fee_items=[*renewal.fee_items, photo])
    program, application_id = await resident_with_application(seeded, wechat, "two-payees")
    officer = await lead_officer(seeded, application_id)
    assert (await accept(seeded, officer, application_id))["status"] == "ACCEPTED"

    await pay(seeded, wechat, program, application_id)
    await drain(seeded)
    shown = await application(seeded, program.token, application_id)

    assert shown["payment"]["paidFen"] == 3500
    receipts = {r["department"]["code"]: r for r in shown["payment"]["receipts"]}
    own = (await Department.get(id=renewal.department_id)).code
    assert {code: r["amountFen"] for code, r in receipts.items()} == {own: 2000, other.code: 1500}
    assert all(r["document"]["kind"] == "RECEIPT" for r in receipts.values())
    assert len({r["number"] for r in receipts.values()}) == 2
    assert await PaymentReceipt.all().count() == 2
