"""Result delivery: the resident's choice, and the query of an application's delivery."""

from __future__ import annotations

import strawberry

from resolvers.delivery import service
from resolvers.delivery.errors import DeliveryError
from resolvers.delivery.errors import DeliveryErrorCode as Code
from resolvers.policy import Action
from schema.authorised import authorised
from schema.context import Info
from schema.delivery.types import (
    ChooseDeliveryInput,
    ChooseDeliveryResult,
    Delivery,
    DeliveryChoice,
)
from schema.ids import node_uuid, uuid_of


@strawberry.type
class DeliveryQuery:
    @strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        description="How an application's result reaches its owner; null if not yours.",
    )
    async def delivery(self, info: Info, application_id: strawberry.ID) -> Delivery | None:
        found_id = node_uuid(application_id, "Application")
        if found_id is None:
            return None
        found = await service.of_application(info.context.principal, found_id)
        return Delivery.of(found) if found else None


@strawberry.type
class DeliveryMutation:
    @strawberry.mutation(
        extensions=authorised(Action.DELIVERY_CHOOSE),
        description=(
            "Once the result is issued (COMPLETED), the owner chooses once how it reaches "
            "them: WINDOW, TERMINAL (a pickup code, shown only in this answer) or POST (EMS: "
            "a waybill and tracking number; statuses follow from the courier)."
        ),
    )
    async def choose_delivery(self, info: Info, input: ChooseDeliveryInput) -> ChooseDeliveryResult:
        recipient = (
            (input.recipient.name, input.recipient.phone, input.recipient.address)
            if input.recipient is not None
            else None
        )
        chosen = await service.choose(
            info.context.resources,
            info.context.principal,
            uuid_of(
                input.application_id, "Application", "applicationId", DeliveryError, Code.NOT_FOUND
            ),
            input.method,
            recipient,
        )
        return DeliveryChoice.of(chosen)
