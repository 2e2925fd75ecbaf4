"""Status changes of one application pushed to its owner's app over Redis pub/sub."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import orjson

from resolvers.resources import Resources
from storage.cache import RedisError
from storage.models.applications import ApplicationStatus, EventType

log = logging.getLogger(__name__)


def channel(application_id: UUID) -> str:
    return f"events:application:{application_id}"


@dataclass(frozen=True, slots=True)
class StatusChange:
    application_id: UUID
    type: EventType
    status: ApplicationStatus
    at: datetime


async def publish(resources: Resources, change: StatusChange) -> None:
    """Best effort, after commit: a missed push costs a stale screen; the timeline has it."""
    message = orjson.dumps(
        {"type": change.type.value, "status": change.status.value, "at": change.at.isoformat()}
    )
    try:
        await resources.redis.publish(channel(change.application_id), message.decode())
    except RedisError:
        log.warning("application event not published: Redis unavailable")


async def listen(resources: Resources, application_id: UUID) -> AsyncIterator[StatusChange]:
    async for raw in resources.events.listen(channel(application_id)):
        try:
            data = orjson.loads(raw)
            yield StatusChange(
                application_id=application_id,
                type=EventType(data["type"]),
                status=ApplicationStatus(data["status"]),
                at=datetime.fromisoformat(data["at"]),
            )
        except (ValueError, KeyError, TypeError):
            continue
