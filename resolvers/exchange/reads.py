"""What admins read of the provincial exchange: the messages pushed to the province, with
their delivery state, and the callbacks department systems sent. The list fields declare their
policy action themselves; a message fetched by id (the Node interface) is checked here."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from resolvers import policy
from resolvers.principal import Principal
from resolvers.resources import Resources
from storage.models.exchange import ExchangeCallback
from storage.models.outbox import OutboxMessage, OutboxStatus
from storage.repositories import exchange as repo
from storage.repositories.pagination import Page, Scalar


async def messages(
    *,
    application_id: UUID | None,
    status: OutboxStatus | None,
    first: int,
    after: Sequence[Scalar] | None,
) -> Page[OutboxMessage]:
    """A page of pushed messages, newest first, of one application and in one status if
    asked. Raises ValueError for a cursor of another list."""
    return await repo.message_page(
        application_id=application_id, status=status, first=first, after=after
    )


async def callbacks(*, first: int, after: Sequence[Scalar] | None) -> Page[ExchangeCallback]:
    """A page of applied callbacks, newest first. Raises ValueError for a foreign cursor."""
    return await repo.callback_page(first=first, after=after)


async def readable_messages(
    resources: Resources, principal: Principal, ids: Sequence[UUID]
) -> list[OutboxMessage]:
    """The pushed messages among `ids`, for those who may read the exchange; else none."""
    if not await policy.allows(resources, principal, policy.Action.EXCHANGE_MESSAGES):
        return []
    return await repo.messages_by_ids(ids)
