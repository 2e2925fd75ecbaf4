"""Payment mutations: input in, service call, typed result or typed error out."""

from __future__ import annotations

from uuid import UUID

import strawberry

from resolvers.payments import service
from resolvers.payments.errors import PaymentError, PaymentErrorCode
from resolvers.policy import Action
from schema.authorised import authorised
from schema.context import Info
from schema.ids import uuid_of
from schema.payments.types import (
    CreatePaymentInput,
    CreatePaymentResult,
    ExemptFeeItemInput,
    ExemptFeeItemResult,
    Payment,
    PaymentRequest,
)


def _application(global_id: str) -> UUID:
    return uuid_of(
        global_id, "Application", "applicationId", PaymentError, PaymentErrorCode.NOT_FOUND
    )


@strawberry.type
class PaymentMutation:
    @strawberry.mutation(
        extensions=authorised(Action.PAYMENT_CREATE),
        description=(
            "A WeChat Pay order for the fee the application owes now; the amount is always "
            "our fee record's. Asking again while an order is open answers that order; an "
            "expired one is replaced by a new order (a new outTradeNo)."
        ),
    )
    async def create_payment(self, info: Info, input: CreatePaymentInput) -> CreatePaymentResult:
        signed = await service.create_payment(
            info.context.resources,
            info.context.principal,
            _application(input.application_id),
            input.channel,
        )
        return PaymentRequest.of(signed)

    @strawberry.mutation(
        extensions=authorised(Action.PAYMENT_EXEMPT),
        description=(
            "The single window waives a fee item under one of the guide's exemption rules, "
            "with what it checked: the amount due drops, or the item is refunded if paid."
        ),
    )
    async def exempt_fee_item(self, info: Info, input: ExemptFeeItemInput) -> ExemptFeeItemResult:
        payment = await service.exempt_item(
            info.context.resources,
            info.context.principal,
            _application(input.application_id),
            input.position,
            input.rule,
            input.note,
        )
        return Payment.of(payment)
