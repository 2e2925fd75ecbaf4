"""exemptFeeItem: the single window waives an item under one of the guide's rules, with what
it checked; before payment the amount due drops; bad input and other callers change nothing."""

from __future__ import annotations

from typing import Any

import httpx

from storage.models.accounts import AuditEvent
from storage.models.payments import OrderStatus, Payment, PaymentOrder, PaymentStatus
from tests.applications.conftest import other_officer
from tests.conftest import RunningApp
from tests.payments.conftest import (
    EXEMPT,
    RENEWAL,
    accept,
    create_payment,
    lead_officer,
    resident_with_application,
)


async def _exempt(running: RunningApp, token: str | None, **values: Any) -> dict[str, Any]:
    response = await running.gql(EXEMPT, {"input": values}, token=token)
    return dict(response.data["exemptFeeItem"])


async def test_an_exemption_before_payment_leaves_nothing_to_pay(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program, application_id = await resident_with_application(seeded, wechat, "dibao")
    officer = await lead_officer(seeded, application_id)
    await accept(seeded, officer, application_id)
    request = await create_payment(seeded, program.token, application_id)
    assert request["__typename"] == "PaymentRequest"
    found = await _exempt(
        seeded, officer, applicationId=application_id, position=0, rule="DIBAO", note="低保证已核"
    )
    assert found["__typename"] == "Payment", found
    assert found["status"] == "EXEMPT"
    assert found["amountFen"] == 0
    # The order for the old amount can no longer be paid; nothing is due any more.
    assert await PaymentOrder.filter(status=OrderStatus.OPEN).count() == 0
    again = await create_payment(seeded, program.token, application_id)
    assert again["code"] == "NOTHING_DUE"
    assert await AuditEvent.filter(action="PAYMENT_ITEM_EXEMPTED").count() == 1
    twice = await _exempt(seeded, officer, applicationId=application_id, position=0, rule="DIBAO")
    assert twice["code"] in ("ALREADY_EXEMPT", "INVALID_STATE")


async def test_bad_input_changes_nothing(seeded: RunningApp, wechat: httpx.AsyncClient) -> None:
    _, application_id = await resident_with_application(seeded, wechat, "bad-exemption")
    officer = await lead_officer(seeded, application_id)
    cases = [
        ({"position": 0, "rule": "VETERAN"}, "EXEMPTION_NOT_ALLOWED", "rule"),
        ({"position": 7, "rule": "DIBAO"}, "ITEM_NOT_FOUND", "position"),
        ({"position": 0, "rule": "DIBAO", "note": "x" * 201}, "INVALID_INPUT", "note"),
    ]
    for values, code, field in cases:
        refused = await _exempt(seeded, officer, applicationId=application_id, **values)
        assert (refused.get("code"), refused.get("field")) == (code, field), (values, refused)
    payment = await Payment.get()
    assert payment.status is PaymentStatus.PENDING
    assert payment.amount_fen == 2000


async def test_only_the_single_window_may_exempt(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    from tests.applications.conftest import implementation

    program, application_id = await resident_with_application(seeded, wechat, "not-staff")
    values = {"applicationId": application_id, "position": 0, "rule": "DIBAO"}
    assert (await _exempt(seeded, program.token, **values))["code"] == "FORBIDDEN"
    assert (await _exempt(seeded, None, **values))["code"] == "UNAUTHENTICATED"
    stranger = await other_officer(seeded, await implementation(RENEWAL))
    assert (await _exempt(seeded, stranger, **values))["code"] == "NOT_FOUND"
    assert (await Payment.get()).amount_fen == 2000
