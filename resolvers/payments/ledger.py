"""What an application owes and how that follows the application: fixed at submission from
the guide's fee items, payable once its charging step is reached, a gate on the step after
it, cancelled or refunded when the application ends. Each function runs inside the caller's
transaction (the application's row is locked by the applications domain)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from resolvers.notifications.service import enqueue_inbox
from resolvers.payments import fees
from resolvers.payments.refunds import refund_order
from storage.models.payments import (
    OPEN_PAYMENT_STATUSES,
    STAGE_ORDER,
    ChargeStage,
    Payment,
    PaymentStatus,
)
from storage.repositories import outbox as outbox_repo
from storage.repositories import payments as repo

CLOSE_ORDER = "payments.close-order"
# WeChat Pay refuses to close an order in its first five minutes.
CLOSE_NOT_BEFORE = timedelta(minutes=5)


class Step(StrEnum):
    """The application steps a fee can hold back."""

    ACCEPTANCE = "ACCEPTANCE"  # held by fees charged on submission
    RESULT = "RESULT"  # held by every fee not paid yet


async def open_for(
    *,
    application_id: UUID,
    owner_id: UUID,
    service_name: str,
    fee_items: list[dict[str, Any]],
    form: Mapping[str, Any],
    department_id: UUID,
    acceptance_due: date | None,
) -> Payment | None:
    """At submission: the application's fee from the guide as it is now (later edits of the
    guide do not change it); None for a free item."""
    lines = fees.lines_of(fee_items, form)
    if not lines:
        return None
    codes = sorted({line.department_code for line in lines if line.department_code})
    by_code = {d.code: d.id for d in await repo.departments_by_codes(codes)}
    stage = fees.earliest([line.stage for line in lines])
    due = stage is ChargeStage.ON_SUBMISSION
    payment = await repo.create_payment(
        application_id=application_id,
        owner_id=owner_id,
        # One payment, one receipt: issued by the first item's charging department.
        department_id=fees.department_of(lines[0], by_code, department_id),
        stage=stage,
        status=PaymentStatus.DUE if due else PaymentStatus.PENDING,
        amount_fen=sum(line.amount_fen for line in lines),
        due_by=acceptance_due if due else None,
        description=fees.payer_description(service_name),
    )
    for position, line in enumerate(lines):
        await repo.add_item(
            payment_id=payment.id,
            position=position,
            name=line.name,
            unit=line.unit,
            legal_basis=line.legal_basis,
            amount_fen=line.amount_fen,
            stage=line.stage,
            department_id=fees.department_of(line, by_code, department_id),
            exemptions=line.exemptions_json(),
        )
    return payment


async def reached(application_id: UUID, stage: ChargeStage, *, now: datetime) -> None:
    """The application reached `stage` (accepted, approved): a fee charged there is payable
    now, due by the application's completion deadline; the owner is told."""
    payment = await repo.lock_by_application(application_id)
    if payment is None or payment.status is not PaymentStatus.PENDING:
        return
    if STAGE_ORDER[payment.stage] > STAGE_ORDER[stage]:
        return
    application = await repo.application(application_id)
    due_by = application.due_date if application else None
    await repo.update(payment.id, status=PaymentStatus.DUE, due_by=due_by)
    await enqueue_inbox(
        key=str(application_id),
        now=now,
        topic="PAYMENT_DUE",
        title="待缴费",
        body=f"您的申请需缴纳费用 {payment.amount_fen / 100:.2f} 元，请在办件详情中缴费。",
        subject_id=application_id,
        account_ids=[payment.owner_id],
    )


async def holds(application_id: UUID, step: Step) -> bool:
    """True while an unpaid fee holds the application before `step`."""
    payment = await repo.by_application(application_id)
    if payment is None or payment.status not in OPEN_PAYMENT_STATUSES:
        return False
    if step is Step.ACCEPTANCE:
        return payment.stage is ChargeStage.ON_SUBMISSION
    return True


async def ended(application_id: UUID, *, now: datetime, reason: str) -> None:
    """The application ended without its result (withdrawn, not accepted, denied): an unpaid
    fee is cancelled (its open order closed), a paid one refunded in full."""
    payment = await repo.lock_by_application(application_id)
    if payment is None:
        return
    if payment.status in OPEN_PAYMENT_STATUSES:
        await repo.update(payment.id, status=PaymentStatus.CANCELLED)
        await close_open_orders(payment.id, now=now)
    elif payment.status is PaymentStatus.PAID:
        remaining = payment.paid_fen - payment.refunded_fen
        if remaining > 0:
            await refund_order(payment, remaining, reason=reason, now=now)
        await repo.update(payment.id, status=PaymentStatus.REFUNDED, refunded_fen=payment.paid_fen)


async def close_open_orders(payment_id: UUID, *, now: datetime) -> None:
    """Closes the payment's open orders here at once (no payment is applied to them any
    more) and at WeChat Pay after commit, not before WeChat allows."""
    for order in await repo.open_orders_of(payment_id):
        if await repo.close_order(order.id, now=now):
            await outbox_repo.enqueue(
                CLOSE_ORDER,
                f"order:{order.out_trade_no}",
                {"out_trade_no": order.out_trade_no},
                now=max(now, order.created_at + CLOSE_NOT_BEFORE),
            )
