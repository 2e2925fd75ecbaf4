"""Account events pushed to the resident's other devices over Redis pub/sub."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from enum import StrEnum
from uuid import UUID

from resolvers.resources import Resources
from storage.cache import Keys, RedisError

log = logging.getLogger(__name__)


class AccountEvent(StrEnum):
    PHONE_BOUND = "PHONE_BOUND"
    IDENTITY_VERIFIED = "IDENTITY_VERIFIED"
    # The holder proved the identity on another account, which now carries it.
    IDENTITY_REMOVED = "IDENTITY_REMOVED"
    SIGNED_OUT_EVERYWHERE = "SIGNED_OUT_EVERYWHERE"


async def publish_account_event(
    resources: Resources, account_id: UUID, event: AccountEvent
) -> None:
    """Best effort, after the change is committed: a missed event costs a stale screen only."""
    try:
        await resources.redis.publish(Keys.account_events(str(account_id)), event.value)
    except RedisError:
        log.warning("account event not published: Redis unavailable")


async def account_events(resources: Resources, account_id: UUID) -> AsyncIterator[AccountEvent]:
    async for data in resources.events.listen(Keys.account_events(str(account_id))):
        try:
            yield AccountEvent(data)
        except ValueError:
            continue
