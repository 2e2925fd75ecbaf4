"""A queue ticket's position, live: each change of its queue that moves it."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from resolvers.hall import queue
from resolvers.policy import Action
from schema.authorised import authorised
from schema.context import Info
from schema.error_codes import PublicError
from schema.hall.types import QueueTicket
from schema.ids import node_uuid


@strawberry.type
class HallSubscription:
    @strawberry.subscription(
        extensions=authorised(Action.QUEUE_TICKET_EVENTS),
        description=(
            "A ticket's state now and after each change that moves it (position, called "
            "window, recalls); ends when it is served or skipped. Readable as `queueTicket`."
        ),
    )
    async def queue_ticket_events(
        self, info: Info, id: strawberry.ID
    ) -> AsyncGenerator[QueueTicket, None]:
        resources = info.context.resources
        found = node_uuid(id, "QueueTicket")
        ticket = await queue.readable(resources, info.context.principal, found) if found else None
        if ticket is None:
            raise PublicError("排队号不存在或您无权查看。", "NOT_FOUND", field="id")
        async for state in queue.follow(resources, ticket):
            yield QueueTicket.of(state, await queue.window_of(state.ticket))
