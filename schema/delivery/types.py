"""Types, inputs, errors and result unions of result delivery."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self

import strawberry

from resolvers.delivery.errors import DeliveryErrorCode
from resolvers.delivery.service import Chosen, Method
from resolvers.ids import global_id
from schema.context import Info
from schema.devices.types import SignedPayloadInput
from schema.errors import UserError
from schema.pagination import ListLimit
from storage.models import delivery as models
from storage.models.delivery import DeliveryStatus

strawberry.enum(
    Method,
    name="DeliveryMethod",
    description="WINDOW: collect at the window; TERMINAL: at a terminal with a pickup code; "
    "POST: by EMS.",
)
strawberry.enum(
    DeliveryStatus,
    name="ResultDeliveryStatus",
    description="READY to collect (window, terminal), then COLLECTED once handed over at a "
    "window or taken at a terminal; POST: CREATED → PICKED_UP → IN_TRANSIT → DELIVERED, as the "
    "courier reports.",
)
strawberry.enum(DeliveryErrorCode)

# A posted result goes through four statuses; the courier may repeat one now and then.
STEPS = ListLimit(default=20, cap=20)


@strawberry.type(description="A status the delivery reached.")
class DeliveryStep:
    status: DeliveryStatus
    at: datetime


@strawberry.type(description="How an application's result reaches the resident.")
class Delivery:
    id: strawberry.ID
    application_id: strawberry.ID
    method: Method
    status: DeliveryStatus
    tracking_number: str | None = strawberry.field(description="POST: the EMS number.")
    recipient_masked: str | None = strawberry.field(description="POST: 张* 138****0000.")
    collected_at: datetime | None = strawberry.field(
        description="WINDOW, TERMINAL: when the result was handed over or taken."
    )
    _model: strawberry.Private[models.Delivery]

    @classmethod
    def of(cls, row: models.Delivery) -> Self:
        return cls(
            id=strawberry.ID(global_id("Delivery", row.id)),
            application_id=strawberry.ID(global_id("Application", row.application_id)),
            method=Method(row.method.value),
            status=row.status,
            tracking_number=row.tracking_number,
            recipient_masked=row.recipient_masked or None,
            collected_at=row.collected_at,
            _model=row,
        )

    @strawberry.field(
        directives=STEPS.directives, description=STEPS.describe("Its statuses, oldest first.")
    )
    async def events(self, info: Info, first: int | None = STEPS.default) -> list[DeliveryStep]:
        size = STEPS.size(first)
        rows = await info.context.loaders.delivery_events.load(self._model.id)
        return [DeliveryStep(status=row.status, at=row.at) for row in rows[:size]]


@strawberry.type(description="The choice made; a TERMINAL pickup code is shown only now.")
class DeliveryChoice:
    delivery: Delivery
    pickup_code: str | None = strawberry.field(
        description="TERMINAL: 8 digits to enter at the terminal; kept only as a hash."
    )

    @classmethod
    def of(cls, chosen: Chosen) -> Self:
        return cls(delivery=Delivery.of(chosen.delivery), pickup_code=chosen.pickup_code)


@strawberry.input
class RecipientInput:
    name: str = strawberry.field(description="At most 32 characters.")
    phone: str = strawberry.field(description="A mainland mobile.")
    address: str = strawberry.field(description="5 to 200 characters.")


@strawberry.input
class ChooseDeliveryInput:
    application_id: strawberry.ID
    method: Method
    recipient: RecipientInput | None = strawberry.field(
        default=None, description="POST only: whom and where."
    )


@strawberry.type
class ChooseDeliveryError(UserError):
    code: DeliveryErrorCode


ChooseDeliveryResult = Annotated[
    DeliveryChoice | ChooseDeliveryError, strawberry.union("ChooseDeliveryResult")
]


@strawberry.input
class HandOverResultInput:
    application_id: strawberry.ID
    card_read: SignedPayloadInput = strawberry.field(
        description="The owner's ID card, read just now by a card reader of this centre."
    )


@strawberry.type
class HandOverResultError(UserError):
    code: DeliveryErrorCode


HandOverResultResult = Annotated[
    Delivery | HandOverResultError, strawberry.union("HandOverResultResult")
]


@strawberry.input
class CollectResultAtTerminalInput:
    pickup_code: str = strawberry.field(description="The 8 digits chooseDelivery showed.")


@strawberry.type
class CollectResultAtTerminalError(UserError):
    code: DeliveryErrorCode


CollectResultAtTerminalResult = Annotated[
    Delivery | CollectResultAtTerminalError, strawberry.union("CollectResultAtTerminalResult")
]
