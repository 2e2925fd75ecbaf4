"""GraphQL types of fees and payments."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Self

import strawberry

from integrations.wechatpay.protocol import ClientPayment
from resolvers.catalogue.drafts import MAX_FEE_EXEMPTIONS
from resolvers.payments.errors import PaymentErrorCode
from resolvers.payments.fees import MAX_FEE_ITEMS
from schema.catalogue.types import Department, FeeExemptionRule
from schema.context import Info
from schema.cost import bounded
from schema.documents.types import Document
from schema.errors import UserError
from schema.pagination import Connection
from storage.models import payments as models
from storage.models.payments import (
    AnomalyKind,
    ChargeStage,
    PaymentChannel,
    PaymentStatus,
    RefundStatus,
)

strawberry.enum(PaymentErrorCode)
strawberry.enum(PaymentStatus)
strawberry.enum(PaymentChannel, description="JSAPI: the mini-program; APP: the city app.")
strawberry.enum(RefundStatus)
strawberry.enum(AnomalyKind)

# A payment has at most this many refunds: one on ending, one per exempted item, and one per
# stray order paid by mistake (bounded by the items in practice).
MAX_REFUNDS = 2 * MAX_FEE_ITEMS


@strawberry.type(description="One fee item of an application's payment.")
class PaymentItem:
    position: int
    name: str
    amount_fen: int = strawberry.field(description="In fen (分): 2000 is 20.00 元.")
    unit: str
    legal_basis: str
    charged_at: ChargeStage
    exempt: bool
    exemption_reason: str = strawberry.field(description="The rule and the window's note.")
    exemptions: list[FeeExemptionRule] = strawberry.field(
        directives=bounded(MAX_FEE_EXEMPTIONS), description="The rules that may waive it."
    )
    _model: strawberry.Private[models.PaymentItem]

    @classmethod
    def of(cls, model: models.PaymentItem) -> Self:
        return cls(
            position=model.position,
            name=model.name,
            amount_fen=model.amount_fen,
            unit=model.unit,
            legal_basis=model.legal_basis,
            charged_at=model.stage,
            exempt=model.exempted_by_rule is not None,
            exemption_reason=model.exemption_reason,
            exemptions=[
                FeeExemptionRule(
                    code=str(e.get("code", "")),
                    name=str(e.get("name", "")),
                    basis=str(e.get("basis", "")),
                )
                for e in model.exemptions[:MAX_FEE_EXEMPTIONS]
            ],
            _model=model,
        )

    @strawberry.field(description="The charging department (执收单位).")
    async def department(self, info: Info) -> Department | None:
        found = await info.context.loaders.department.load(self._model.department_id)
        return Department.of(found) if found else None


@strawberry.type(description="A refund of (part of) a payment, back to the payer's WeChat Pay.")
class PaymentRefund:
    amount_fen: int
    reason: str
    status: RefundStatus
    created_at: datetime
    succeeded_at: datetime | None

    @classmethod
    def of(cls, model: models.PaymentRefund) -> Self:
        return cls(
            amount_fen=model.amount_fen,
            reason=model.reason,
            status=model.status,
            created_at=model.created_at,
            succeeded_at=model.succeeded_at,
        )


@strawberry.type(description="财政电子票据: issued by the charging department for a paid fee.")
class PaymentReceipt:
    number: str
    amount_fen: int
    issued_at: datetime
    _model: strawberry.Private[models.PaymentReceipt]

    @classmethod
    def of(cls, model: models.PaymentReceipt) -> Self:
        return cls(
            number=model.number,
            amount_fen=model.amount_fen,
            issued_at=model.issued_at,
            _model=model,
        )

    @strawberry.field(description="The charging department that issued it.")
    async def department(self, info: Info) -> Department | None:
        found = await info.context.loaders.department.load(self._model.department_id)
        return Department.of(found) if found else None

    @strawberry.field(description="The receipt in the resident's wallet, once it is stored.")
    async def document(self, info: Info) -> Document | None:
        if self._model.document_id is None:
            return None
        found = await info.context.loaders.document.load(self._model.document_id)
        return Document.of(found) if found else None


@strawberry.type(description="What an application owes, fixed from the guide when submitted.")
class Payment:
    amount_fen: int = strawberry.field(
        description="Due now, in fen: the items not exempted (from our fee records only)."
    )
    paid_fen: int
    refunded_fen: int = strawberry.field(description="Refunds asked for (see refunds).")
    status: PaymentStatus
    charged_at: ChargeStage = strawberry.field(
        description="The earliest step any item is charged at: the payment's step."
    )
    due_by: date | None = strawberry.field(
        description="Pay by then (China time): the running deadline of the charging step."
    )
    paid_at: datetime | None
    _model: strawberry.Private[models.Payment]

    @classmethod
    def of(cls, model: models.Payment) -> Self:
        return cls(
            amount_fen=model.amount_fen,
            paid_fen=model.paid_fen,
            refunded_fen=model.refunded_fen,
            status=model.status,
            charged_at=model.stage,
            due_by=model.due_by,
            paid_at=model.paid_at,
            _model=model,
        )

    @strawberry.field(directives=bounded(MAX_FEE_ITEMS), description="The fee items, in order.")
    async def items(self, info: Info) -> list[PaymentItem]:
        rows = await info.context.loaders.payment_items.load(self._model.id)
        return [PaymentItem.of(row) for row in rows]

    @strawberry.field(directives=bounded(MAX_REFUNDS), description="Oldest first.")
    async def refunds(self, info: Info) -> list[PaymentRefund]:
        rows = await info.context.loaders.payment_refunds.load(self._model.id)
        return [PaymentRefund.of(row) for row in rows[:MAX_REFUNDS]]

    @strawberry.field(
        directives=bounded(MAX_FEE_ITEMS),
        description="The e-receipts once the fee is paid: one from each charging department, "
        "for what it charged.",
    )
    async def receipts(self, info: Info) -> list[PaymentReceipt]:
        rows = await info.context.loaders.payment_receipts.load(self._model.id)
        return [PaymentReceipt.of(row) for row in rows[:MAX_FEE_ITEMS]]


@strawberry.type(
    description=(
        "What wx.requestPayment (JSAPI) or the app's WeChat SDK (APP) needs, signed by the "
        "server: pass timeStamp, nonceStr, package, signType and paySign as they are."
    )
)
class PaymentRequest:
    channel: PaymentChannel
    app_id: str
    time_stamp: str
    nonce_str: str
    package: str = strawberry.field(description='"prepay_id=…" (JSAPI) or "Sign=WXPay" (APP).')
    sign_type: str
    pay_sign: str
    prepay_id: str
    partner_id: str = strawberry.field(description="APP only: the merchant id.")

    @classmethod
    def of(cls, signed: ClientPayment) -> Self:
        values: dict[str, Any] = {
            "channel": PaymentChannel(signed.channel.value),
            "app_id": signed.app_id,
            "time_stamp": signed.time_stamp,
            "nonce_str": signed.nonce_str,
            "package": signed.package,
            "sign_type": signed.sign_type,
            "pay_sign": signed.pay_sign,
            "prepay_id": signed.prepay_id,
            "partner_id": signed.partner_id,
        }
        return cls(**values)


@strawberry.type(
    description=(
        "Something WeChat Pay reported (a notification or a query's answer) that does not "
        "match our records: kept for finance, never applied."
    )
)
class PaymentAnomaly:
    kind: AnomalyKind
    out_trade_no: str
    out_refund_no: str | None
    notification_id: str | None
    transaction_id: str | None
    expected_fen: int | None = strawberry.field(description="Ours, in fen.")
    reported_fen: int | None = strawberry.field(description="WeChat Pay's, in fen.")
    note: str
    created_at: datetime

    @classmethod
    def of(cls, model: models.PaymentAnomaly) -> Self:
        return cls(
            kind=model.kind,
            out_trade_no=model.out_trade_no,
            out_refund_no=model.out_refund_no,
            notification_id=model.notification_id,
            transaction_id=model.transaction_id,
            expected_fen=model.expected_fen,
            reported_fen=model.reported_fen,
            note=model.note,
            created_at=model.created_at,
        )


PaymentAnomalyConnection = Connection[PaymentAnomaly]


@strawberry.input
class CreatePaymentInput:
    application_id: strawberry.ID
    channel: PaymentChannel = PaymentChannel.JSAPI


@strawberry.input
class ExemptFeeItemInput:
    application_id: strawberry.ID
    position: int = strawberry.field(description="The item's position in Payment.items.")
    rule: str = strawberry.field(description="One of the item's exemptions' codes.")
    note: str | None = strawberry.field(
        default=None, description="What was checked (e.g. the 低保证's number), at most 200."
    )


@strawberry.type
class CreatePaymentError(UserError):
    code: PaymentErrorCode


@strawberry.type
class ExemptFeeItemError(UserError):
    code: PaymentErrorCode


CreatePaymentResult = Annotated[
    PaymentRequest | CreatePaymentError, strawberry.union("CreatePaymentResult")
]
ExemptFeeItemResult = Annotated[
    Payment | ExemptFeeItemError, strawberry.union("ExemptFeeItemResult")
]
