"""`me`: the signed-in account."""

from __future__ import annotations

import strawberry

from resolvers.policy import Action
from schema.accounts.types import Account
from schema.authorised import authorised
from schema.context import Info


@strawberry.type
class AccountQuery:
    @strawberry.field(
        extensions=authorised(Action.READ_PUBLIC), description="The signed-in account, or null."
    )
    async def me(self, info: Info) -> Account | None:
        account_id = info.context.principal.account_id
        if account_id is None:
            return None
        account = await info.context.loaders.account.load(account_id)
        return Account.of(account) if account else None
