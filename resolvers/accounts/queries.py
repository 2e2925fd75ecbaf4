"""`me`, and the account-events subscription."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from resolvers.accounts.events import AccountEvent, account_events
from schema.accounts import Account
from schema.context import Info


async def me(info: Info) -> Account | None:
    account_id = info.context.principal.account_id
    if account_id is None:
        return None
    account = await info.context.loaders.account.load(account_id)
    return Account.of(account) if account else None


async def my_account_events(info: Info) -> AsyncGenerator[AccountEvent, None]:
    account_id = info.context.principal.account_id
    assert account_id is not None  # the policy (READ_OWN) let only accounts in
    async for event in account_events(info.context.resources, account_id):
        yield event
