"""Fees and payments: what an application owes (its fee items, exemptions), the WeChat Pay
orders that pay it, the notifications applied, refunds, anomalies kept for finance, daily
reconciliations and the electronic receipts (财政电子票据) issued for paid fees.

Amounts are integers in fen (分), as WeChat Pay counts them: never floats."""

from __future__ import annotations

from enum import StrEnum
from typing import Any
from uuid import UUID

from tortoise import fields
from tortoise.models import Model


class ChargeStage(StrEnum):
    """When a fee item is charged: the application does not move past that step unpaid."""

    ON_SUBMISSION = "ON_SUBMISSION"  # payable at once; acceptance waits for it
    AFTER_ACCEPTANCE = "AFTER_ACCEPTANCE"  # payable once accepted; the result waits for it
    BEFORE_RESULT = "BEFORE_RESULT"  # payable once approved; the result waits for it


STAGE_ORDER = {
    ChargeStage.ON_SUBMISSION: 0,
    ChargeStage.AFTER_ACCEPTANCE: 1,
    ChargeStage.BEFORE_RESULT: 2,
}


class PaymentStatus(StrEnum):
    PENDING = "PENDING"  # its charging step is not reached yet
    DUE = "DUE"  # payable now
    PAID = "PAID"
    EXEMPT = "EXEMPT"  # every item exempted: nothing to pay
    CANCELLED = "CANCELLED"  # the application ended before it was paid
    REFUNDED = "REFUNDED"  # paid, then refunded in full (withdrawn, denied, exempted)


OPEN_PAYMENT_STATUSES = (PaymentStatus.PENDING, PaymentStatus.DUE)


class PaymentChannel(StrEnum):
    JSAPI = "JSAPI"  # the mini-program (wx.requestPayment)
    APP = "APP"  # the city app


class OrderStatus(StrEnum):
    OPEN = "OPEN"  # placed with WeChat Pay, not paid, not expired
    PAID = "PAID"
    CLOSED = "CLOSED"  # expired, superseded or cancelled: its out_trade_no is never used again


class RefundStatus(StrEnum):
    PENDING = "PENDING"  # written with the change that causes it; sent after commit
    PROCESSING = "PROCESSING"  # WeChat Pay took it
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"  # closed or abnormal: finance handles it by hand


class AnomalyKind(StrEnum):
    """A notification or query answer that does not match our records: kept, never applied."""

    UNKNOWN_ORDER = "UNKNOWN_ORDER"  # an out_trade_no we never placed
    AMOUNT_MISMATCH = "AMOUNT_MISMATCH"  # paid another amount than the order's
    MERCHANT_MISMATCH = "MERCHANT_MISMATCH"  # another merchant or app id
    PAID_AFTER_CLOSE = "PAID_AFTER_CLOSE"  # paid an order we had closed or superseded
    UNKNOWN_REFUND = "UNKNOWN_REFUND"
    REFUND_AMOUNT_MISMATCH = "REFUND_AMOUNT_MISMATCH"


class Payment(Model):
    """What one application owes, as fixed from the guide's fee items when it was submitted
    (a guide edited later does not change an application's fee)."""

    id = fields.UUIDField(primary_key=True)
    application_id = fields.UUIDField(unique=True)
    owner_id = fields.UUIDField(db_index=True)
    # The charging department (执收单位): it issues the receipt.
    department_id = fields.UUIDField()
    stage = fields.CharEnumField(ChargeStage, max_length=20)
    status = fields.CharEnumField(PaymentStatus, max_length=12)
    amount_fen = fields.IntField(description="what is due: the items not exempted")
    paid_fen = fields.IntField(default=0)
    refunded_fen = fields.IntField(default=0, description="refunds asked for, not only done")
    due_by = fields.DateField(null=True, description="pay by then (China time)")
    description = fields.CharField(max_length=127, description="shown to the payer")
    paid_at = fields.DatetimeField(null=True)
    transaction_id = fields.CharField(max_length=32, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "payment"
        indexes = (("status", "paid_at"),)


class PaymentItem(Model):
    """One fee item of a payment, with its exemption when one applies."""

    id = fields.UUIDField(primary_key=True)
    payment: fields.ForeignKeyRelation[Payment] = fields.ForeignKeyField(
        "models.Payment", related_name="items", on_delete=fields.CASCADE
    )
    payment_id: UUID
    position = fields.IntField()
    name = fields.CharField(max_length=128)
    unit = fields.CharField(max_length=16, default="")
    legal_basis = fields.TextField()
    amount_fen = fields.IntField()
    stage = fields.CharEnumField(ChargeStage, max_length=20)
    department_id = fields.UUIDField()
    # The exemption rules the guide allows for this item: [{"code", "name", "basis"}].
    exemptions: list[dict[str, Any]] = fields.JSONField(default=list)
    exempted_by_rule = fields.CharField(max_length=32, null=True)
    exemption_reason = fields.CharField(max_length=300, default="")
    exempted_at = fields.DatetimeField(null=True)
    exempted_by_id = fields.UUIDField(null=True)

    class Meta:
        table = "payment_item"
        unique_together = (("payment_id", "position"),)
        ordering = ["position"]


class PaymentOrder(Model):
    """One WeChat Pay order for a payment. At most one OPEN per payment (the payment row is
    locked while one is placed); an out_trade_no is random and never used twice."""

    id = fields.UUIDField(primary_key=True)
    payment: fields.ForeignKeyRelation[Payment] = fields.ForeignKeyField(
        "models.Payment", related_name="orders", on_delete=fields.RESTRICT
    )
    payment_id: UUID
    out_trade_no = fields.CharField(max_length=32, unique=True)
    channel = fields.CharEnumField(PaymentChannel, max_length=8)
    amount_fen = fields.IntField()
    status = fields.CharEnumField(OrderStatus, max_length=8, default=OrderStatus.OPEN)
    expires_at = fields.DatetimeField()
    # What the client hands to wx.requestPayment, so that asking again returns the same
    # order: signed values, no secret.
    client_payment: dict[str, Any] = fields.JSONField(default=dict)
    transaction_id = fields.CharField(max_length=32, null=True)
    paid_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)
    last_queried_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "payment_order"
        indexes = (("status", "expires_at"), ("payment_id", "status"))


class PaymentNotification(Model):
    """Every notification applied (or found not to match), once: WeChat retries for about a
    day, and a second delivery of one id is answered without doing anything again."""

    id = fields.UUIDField(primary_key=True)
    notification_id = fields.CharField(max_length=64, unique=True)
    event_type = fields.CharField(max_length=32)
    out_trade_no = fields.CharField(max_length=32, db_index=True)
    out_refund_no = fields.CharField(max_length=64, null=True)
    applied = fields.BooleanField(description="false: kept as an anomaly, nothing changed")
    received_at = fields.DatetimeField()

    class Meta:
        table = "payment_notification"


class PaymentAnomaly(Model):
    """Something WeChat Pay reported that does not match our records, for finance to handle:
    never applied to a payment."""

    id = fields.UUIDField(primary_key=True)
    kind = fields.CharEnumField(AnomalyKind, max_length=24)
    out_trade_no = fields.CharField(max_length=32, db_index=True)
    out_refund_no = fields.CharField(max_length=64, null=True)
    notification_id = fields.CharField(max_length=64, null=True)
    transaction_id = fields.CharField(max_length=32, null=True)
    expected_fen = fields.IntField(null=True)
    reported_fen = fields.IntField(null=True)
    note = fields.CharField(max_length=300, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "payment_anomaly"


class PaymentRefund(Model):
    """A refund of (part of) a paid order: written with the change that causes it, asked of
    WeChat Pay after commit, settled by its notification or a query."""

    id = fields.UUIDField(primary_key=True)
    payment: fields.ForeignKeyRelation[Payment] = fields.ForeignKeyField(
        "models.Payment", related_name="refunds", on_delete=fields.RESTRICT
    )
    payment_id: UUID
    order: fields.ForeignKeyRelation[PaymentOrder] = fields.ForeignKeyField(
        "models.PaymentOrder", related_name="refunds", on_delete=fields.RESTRICT
    )
    order_id: UUID
    out_refund_no = fields.CharField(max_length=64, unique=True)
    amount_fen = fields.IntField()
    reason = fields.CharField(max_length=80)
    status = fields.CharEnumField(RefundStatus, max_length=12, default=RefundStatus.PENDING)
    refund_id = fields.CharField(max_length=32, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    succeeded_at = fields.DatetimeField(null=True)

    class Meta:
        table = "payment_refund"
        indexes = (("status", "created_at"),)


class PaymentReceipt(Model):
    """财政电子票据: issued by each charging department for what it charged of a paid fee,
    placed in the resident's wallet as a document."""

    id = fields.UUIDField(primary_key=True)
    payment: fields.ForeignKeyRelation[Payment] = fields.ForeignKeyField(
        "models.Payment", related_name="receipts", on_delete=fields.RESTRICT
    )
    payment_id: UUID
    number = fields.CharField(max_length=32, unique=True)
    amount_fen = fields.IntField()
    department_id = fields.UUIDField()
    document_id = fields.UUIDField(null=True)
    issued_at = fields.DatetimeField()

    class Meta:
        table = "payment_receipt"
        unique_together = (("payment_id", "department_id"),)


class ReceiptCounter(Model):
    """The last receipt number a charging department gave out in a year."""

    id = fields.UUIDField(primary_key=True)
    department_id = fields.UUIDField()
    year = fields.IntField()
    issued = fields.IntField(default=0)

    class Meta:
        table = "receipt_counter"
        unique_together = (("department_id", "year"),)


class Reconciliation(Model):
    """One day's reconciliation against WeChat Pay's trade bill: the counts, and each
    mismatch by order number (never personal data)."""

    id = fields.UUIDField(primary_key=True)
    day = fields.DateField(db_index=True)
    lines = fields.IntField()
    matched = fields.IntField()
    paid_but_unknown: list[dict[str, Any]] = fields.JSONField(default=list)
    known_but_unpaid: list[dict[str, Any]] = fields.JSONField(default=list)
    amount_mismatches: list[dict[str, Any]] = fields.JSONField(default=list)
    clean = fields.BooleanField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "payment_reconciliation"
