"""Changes of the signed-in account made on another device, live."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from resolvers.accounts.events import AccountEvent, account_events
from resolvers.policy import Action
from schema.authorised import authorised
from schema.context import Info


@strawberry.type
class AccountSubscription:
    @strawberry.subscription(
        extensions=authorised(Action.READ_OWN),
        description="Changes of the signed-in account made on another device.",
    )
    async def account_events(self, info: Info) -> AsyncGenerator[AccountEvent, None]:
        account_id = info.context.principal.account_id
        assert account_id is not None  # the policy (READ_OWN) let only accounts in
        async for event in account_events(info.context.resources, account_id):
            yield event
