"""Result delivery: the resident's choice, and the query of an application's delivery."""

from __future__ import annotations

import strawberry

from resolvers.delivery import service
from resolvers.delivery.errors import DeliveryError
from resolvers.delivery.errors import DeliveryErrorCode as Code
from resolvers.policy import Action
from schema.authorised import authorised
from schema.context import Info, client_of
from schema.delivery.types import (
    ChooseDeliveryInput,
    ChooseDeliveryResult,
    CollectResultAtTerminalInput,
    CollectResultAtTerminalResult,
    Delivery,
    DeliveryChoice,
    HandOverResultInput,
    HandOverResultResult,
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

    @strawberry.mutation(
        extensions=authorised(Action.DELIVERY_HAND_OVER),
        description=(
            "Window staff of the centre the card reader stands in hand a WINDOW result to its "
            "owner, whose ID card was just read (a read is used once): COLLECTED, with the "
            "officer and the window on record; the owner is told. NOT_THE_OWNER when the card "
            "is someone else's."
        ),
    )
    async def hand_over_result(
        self, info: Info, input: HandOverResultInput
    ) -> HandOverResultResult:
        delivery = await service.hand_over(
            info.context.resources,
            info.context.principal,
            uuid_of(
                input.application_id, "Application", "applicationId", DeliveryError, Code.NOT_FOUND
            ),
            card_payload=input.card_read.payload,
            card_signature=input.card_read.signature,
            client=client_of(info),
        )
        return Delivery.of(delivery)

    @strawberry.mutation(
        extensions=authorised(Action.DELIVERY_COLLECT_AT_TERMINAL),
        description=(
            "At a self-service terminal (its own session, or a resident signed in at it): the "
            "TERMINAL result whose pickup code this is becomes COLLECTED; a code works once. "
            "After 5 wrong codes (RONGBAN_DELIVERY_PICKUP_MAX_FAILURES) within 10 minutes "
            "(RONGBAN_DELIVERY_PICKUP_FAILURE_WINDOW_SECONDS) the terminal takes no code "
            "(TOO_MANY_ATTEMPTS) until the window ends."
        ),
    )
    async def collect_result_at_terminal(
        self, info: Info, input: CollectResultAtTerminalInput
    ) -> CollectResultAtTerminalResult:
        delivery = await service.collect_at_terminal(
            info.context.resources,
            info.context.principal,
            input.pickup_code,
            client=client_of(info),
        )
        return Delivery.of(delivery)
