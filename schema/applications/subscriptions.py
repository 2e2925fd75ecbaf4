"""Each status change of one of the resident's applications, live."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from resolvers import policy
from resolvers.applications import reads
from resolvers.applications.events import listen
from resolvers.policy import Action
from schema.applications.types import ApplicationStatusChange
from schema.authorised import authorised
from schema.context import Info
from schema.error_codes import PublicError
from schema.ids import node_uuid


@strawberry.type
class ApplicationSubscription:
    @strawberry.subscription(
        extensions=authorised(Action.APPLICATION_EVENTS),
        description="Each status change of one of your applications (owner only).",
    )
    async def application_events(
        self, info: Info, application_id: strawberry.ID
    ) -> AsyncGenerator[ApplicationStatusChange, None]:
        """Owner only: anyone else gets an error before any subscription is made."""
        principal = info.context.principal
        found = node_uuid(application_id, "Application")
        rows = await reads.readable(principal, [found]) if found else []
        if not rows or not await policy.allows(
            info.context.resources,
            principal,
            Action.APPLICATION_EVENTS,
            policy.Subject(owner_id=rows[0].owner_id),
        ):
            raise PublicError("申请不存在或您无权查看。", "NOT_FOUND", field="applicationId")
        async for change in listen(info.context.resources, rows[0].id):
            yield ApplicationStatusChange.of(change)
