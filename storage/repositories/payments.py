"""Queries on fees, payments, orders, refunds, receipts and reconciliations (the only place
they are written)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from tortoise.expressions import F, Q

from storage.models.accounts import Account
from storage.models.applications import Application
from storage.models.catalogue import Department, Implementation
from storage.models.payments import (
    OPEN_PAYMENT_STATUSES,
    AnomalyKind,
    OrderStatus,
    Payment,
    PaymentAnomaly,
    PaymentItem,
    PaymentNotification,
    PaymentOrder,
    PaymentReceipt,
    PaymentRefund,
    PaymentStatus,
    ReceiptCounter,
    Reconciliation,
    RefundStatus,
)
from storage.repositories.pagination import Page, Scalar, keyset_page

# -- payments and their items


async def create_payment(**values: Any) -> Payment:
    return await Payment.create(**values)


async def add_item(**values: Any) -> PaymentItem:
    return await PaymentItem.create(**values)


async def by_application(application_id: UUID) -> Payment | None:
    return await Payment.get_or_none(application_id=application_id)


async def by_applications(application_ids: Sequence[UUID]) -> list[Payment]:
    if not application_ids:
        return []
    return await Payment.filter(application_id__in=list(application_ids))


async def by_id(payment_id: UUID) -> Payment | None:
    return await Payment.get_or_none(id=payment_id)


async def lock_by_application(application_id: UUID) -> Payment | None:
    return await Payment.filter(application_id=application_id).select_for_update().first()


async def lock(payment_id: UUID) -> Payment | None:
    return await Payment.filter(id=payment_id).select_for_update().first()


async def update(payment_id: UUID, **changes: Any) -> None:
    await Payment.filter(id=payment_id).update(**changes)


async def move(payment_id: UUID, *, expected: Sequence[PaymentStatus], **changes: Any) -> bool:
    """Changes the payment only while its status is one of `expected`."""
    updated = await Payment.filter(id=payment_id, status__in=list(expected)).update(**changes)
    return updated == 1


async def items_of(payment_ids: Sequence[UUID]) -> list[PaymentItem]:
    if not payment_ids:
        return []
    return await PaymentItem.filter(payment_id__in=list(payment_ids)).order_by(
        "payment_id", "position"
    )


async def exempt_item(item_id: UUID, **changes: Any) -> bool:
    updated = await PaymentItem.filter(id=item_id, exempted_by_rule__isnull=True).update(**changes)
    return updated == 1


async def application(application_id: UUID) -> Application | None:
    return await Application.get_or_none(id=application_id)


async def implementation(implementation_id: UUID | None) -> Implementation | None:
    if implementation_id is None:
        return None
    return await Implementation.get_or_none(id=implementation_id)


async def departments_by_codes(codes: Sequence[str]) -> list[Department]:
    if not codes:
        return []
    return await Department.filter(code__in=list(codes))


async def departments_by_ids(ids: Sequence[UUID]) -> list[Department]:
    if not ids:
        return []
    return await Department.filter(id__in=list(ids))


async def openid_of(account_id: UUID) -> str | None:
    account = await Account.get_or_none(id=account_id).only("id", "wechat_openid")
    return account.wechat_openid if account else None


# -- orders


async def create_order(**values: Any) -> PaymentOrder:
    return await PaymentOrder.create(**values)


async def open_orders_of(payment_id: UUID) -> list[PaymentOrder]:
    return await PaymentOrder.filter(payment_id=payment_id, status=OrderStatus.OPEN).order_by(
        "created_at"
    )


async def order_by_id(order_id: UUID) -> PaymentOrder | None:
    return await PaymentOrder.get_or_none(id=order_id)


async def order_by_trade_no(out_trade_no: str) -> PaymentOrder | None:
    return await PaymentOrder.get_or_none(out_trade_no=out_trade_no)


async def lock_order(out_trade_no: str) -> PaymentOrder | None:
    return await PaymentOrder.filter(out_trade_no=out_trade_no).select_for_update().first()


async def orders_by_trade_nos(out_trade_nos: Sequence[str]) -> list[PaymentOrder]:
    if not out_trade_nos:
        return []
    return await PaymentOrder.filter(out_trade_no__in=list(out_trade_nos))


async def paid_order_of(payment_id: UUID, transaction_id: str | None) -> PaymentOrder | None:
    """The order that paid the payment (others paid by mistake are refunded on their own)."""
    return await PaymentOrder.filter(
        payment_id=payment_id, status=OrderStatus.PAID, transaction_id=transaction_id
    ).first()


async def set_client_payment(order_id: UUID, values: dict[str, Any]) -> None:
    await PaymentOrder.filter(id=order_id).update(client_payment=values)


async def close_order(order_id: UUID, *, now: datetime) -> bool:
    updated = await PaymentOrder.filter(id=order_id, status=OrderStatus.OPEN).update(
        status=OrderStatus.CLOSED, closed_at=now
    )
    return updated == 1


async def mark_order_paid(
    order_id: UUID, *, transaction_id: str | None, paid_at: datetime | None
) -> bool:
    """WeChat says it was paid: so it was, even if we had closed it meanwhile."""
    updated = await PaymentOrder.filter(
        id=order_id, status__in=[OrderStatus.OPEN, OrderStatus.CLOSED]
    ).update(status=OrderStatus.PAID, transaction_id=transaction_id, paid_at=paid_at)
    return updated == 1


async def silent_orders(*, placed_before: datetime, limit: int) -> list[PaymentOrder]:
    """Open orders placed before `placed_before` and not asked about since: so that one
    stuck order does not starve the rest, each is asked at most once per interval."""
    return (
        await PaymentOrder.filter(
            Q(last_queried_at__isnull=True) | Q(last_queried_at__lt=placed_before),
            status=OrderStatus.OPEN,
            created_at__lt=placed_before,
        )
        .order_by("created_at")
        .limit(limit)
    )


async def touch_order(order_id: UUID, *, now: datetime) -> None:
    await PaymentOrder.filter(id=order_id).update(last_queried_at=now)


async def paid_orders_between(start: datetime, end: datetime) -> list[PaymentOrder]:
    return await PaymentOrder.filter(
        status=OrderStatus.PAID, paid_at__gte=start, paid_at__lt=end
    ).order_by("paid_at")


# -- notifications and anomalies


async def record_notification(**values: Any) -> PaymentNotification:
    """Raises IntegrityError when the notification id was recorded already."""
    return await PaymentNotification.create(**values)


async def notification_seen(notification_id: str) -> bool:
    return await PaymentNotification.filter(notification_id=notification_id).exists()


async def add_anomaly(kind: AnomalyKind, out_trade_no: str, **values: Any) -> PaymentAnomaly:
    return await PaymentAnomaly.create(kind=kind, out_trade_no=out_trade_no, **values)


async def anomaly_page(*, first: int, after: Sequence[Scalar] | None) -> Page[PaymentAnomaly]:
    """Newest first. Raises ValueError for a cursor of another list."""
    typed: list[Any] | None = None
    if after is not None:
        if len(after) != 2 or not isinstance(after[0], str) or not isinstance(after[1], str):
            raise ValueError("cursor does not fit this list")
        typed = [datetime.fromisoformat(after[0]), UUID(after[1])]
    return await keyset_page(PaymentAnomaly.all(), order=("-created_at",), first=first, after=typed)


# -- refunds


async def create_refund(**values: Any) -> PaymentRefund:
    return await PaymentRefund.create(**values)


async def refund_by_id(refund_id: UUID) -> PaymentRefund | None:
    return await PaymentRefund.get_or_none(id=refund_id)


async def lock_refund(out_refund_no: str) -> PaymentRefund | None:
    return await PaymentRefund.filter(out_refund_no=out_refund_no).select_for_update().first()


async def refunds_of(payment_ids: Sequence[UUID]) -> list[PaymentRefund]:
    if not payment_ids:
        return []
    return await PaymentRefund.filter(payment_id__in=list(payment_ids)).order_by("created_at")


async def set_refund(row_id: UUID, *, expected: Sequence[RefundStatus], **changes: Any) -> bool:
    updated = await PaymentRefund.filter(id=row_id, status__in=list(expected)).update(**changes)
    return updated == 1


async def unsettled_refunds(*, created_before: datetime, limit: int) -> list[PaymentRefund]:
    return (
        await PaymentRefund.filter(status=RefundStatus.PROCESSING, created_at__lt=created_before)
        .order_by("created_at")
        .limit(limit)
    )


async def refunds_between(start: datetime, end: datetime) -> list[PaymentRefund]:
    return await PaymentRefund.filter(
        status=RefundStatus.SUCCESS, succeeded_at__gte=start, succeeded_at__lt=end
    )


async def refunds_by_numbers(out_refund_nos: Sequence[str]) -> list[PaymentRefund]:
    if not out_refund_nos:
        return []
    return await PaymentRefund.filter(out_refund_no__in=list(out_refund_nos))


# -- receipts


async def receipts_of(payment_ids: Sequence[UUID]) -> list[PaymentReceipt]:
    if not payment_ids:
        return []
    return await PaymentReceipt.filter(payment_id__in=list(payment_ids)).order_by("number")


async def receipts_of_payment(payment_id: UUID) -> list[PaymentReceipt]:
    return await PaymentReceipt.filter(payment_id=payment_id).order_by("number")


async def next_receipt_number(department_id: UUID, year: int) -> int:
    """Inside a transaction: the department's next receipt sequence of the year."""
    counter = (
        await ReceiptCounter.filter(department_id=department_id, year=year)
        .select_for_update()
        .first()
    )
    if counter is None:
        await ReceiptCounter.create(department_id=department_id, year=year, issued=1)
        return 1
    await ReceiptCounter.filter(id=counter.id).update(issued=F("issued") + 1)
    return counter.issued + 1


async def create_receipt(**values: Any) -> PaymentReceipt:
    return await PaymentReceipt.create(**values)


async def attach_receipt_document(receipt_id: UUID, document_id: UUID) -> None:
    await PaymentReceipt.filter(id=receipt_id).update(document_id=document_id)


async def paid_without_receipt(*, limit: int) -> list[Payment]:
    return (
        await Payment.filter(status=PaymentStatus.PAID, receipt=None)
        .order_by("paid_at")
        .limit(limit)
    )


# -- reconciliation


async def reconciled(day: date) -> bool:
    return await Reconciliation.filter(day=day).exists()


async def save_reconciliation(**values: Any) -> Reconciliation:
    return await Reconciliation.create(**values)


async def open_payments_of(application_id: UUID) -> list[Payment]:
    return await Payment.filter(application_id=application_id, status__in=OPEN_PAYMENT_STATUSES)
