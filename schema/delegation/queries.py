"""帮办代办 queries: the caller's delegations (given or received), one delegation, the
applications submitted under one, and the community helpers the caller may delegate to."""

from __future__ import annotations

import strawberry

from resolvers.delegation import service
from resolvers.policy import Action
from schema.authorised import authorised
from schema.context import Info
from schema.cost import bounded
from schema.delegation.types import (
    CommunityHelper,
    DelegatedApplication,
    DelegatedApplicationConnection,
    Delegation,
    DelegationConnection,
)
from schema.error_codes import PublicError
from schema.ids import node_uuid
from schema.pagination import PageInfo, connection_of, page_request


def _bad_cursor() -> PublicError:
    return PublicError("分页游标无效。", "BAD_USER_INPUT", field="after")


@strawberry.type
class DelegationQuery:
    @strawberry.field(
        extensions=authorised(Action.READ_OWN),
        description=(
            "Delegations you gave (GIVEN, you are the principal) or received (RECEIVED, you "
            "are the agent), newest first. `first` at most 50."
        ),
    )
    async def my_delegations(
        self,
        info: Info,
        direction: service.Direction,
        first: int | None = None,
        after: str | None = None,
    ) -> DelegationConnection:
        request = page_request(first, after, cap=info.context.resources.settings.max_page_size)
        try:
            page = await service.mine(
                info.context.principal, direction, first=request.first, after=request.after
            )
        except ValueError:
            raise _bad_cursor() from None
        edges, page_info = connection_of(page, Delegation.of, request.kind)
        return DelegationConnection(edges=edges, page_info=page_info)

    @strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        description="A delegation you gave or received; otherwise null.",
    )
    async def delegation(self, info: Info, id: strawberry.ID) -> Delegation | None:
        delegation_id = node_uuid(id, "Delegation")
        if delegation_id is None:
            return None
        found = await service.readable(info.context.principal, delegation_id)
        return Delegation.of(found) if found else None

    @strawberry.field(
        extensions=authorised(Action.READ_OWN),
        description=(
            "Applications submitted under a delegation, newest first: for the principal "
            "always, for the agent only while the delegation is in force (otherwise empty, "
            "as for a delegation that is not yours). `first` at most 50."
        ),
    )
    async def delegated_applications(
        self,
        info: Info,
        delegation_id: strawberry.ID,
        first: int | None = None,
        after: str | None = None,
    ) -> DelegatedApplicationConnection:
        request = page_request(first, after, cap=info.context.resources.settings.max_page_size)
        found_id = node_uuid(delegation_id, "Delegation")
        empty = DelegatedApplicationConnection(
            edges=[], page_info=PageInfo(has_next_page=False, end_cursor=None)
        )
        if found_id is None:
            return empty
        try:
            found = await service.delegated_applications(
                info.context.resources,
                info.context.principal,
                found_id,
                first=request.first,
                after=request.after,
            )
        except ValueError:
            raise _bad_cursor() from None
        if found is None:
            return empty
        rows = found.applications
        edges, page_info = connection_of(
            found.page,
            lambda link: DelegatedApplication.of(rows[link.application_id]),
            request.kind,
        )
        return DelegatedApplicationConnection(edges=edges, page_info=page_info)

    @strawberry.field(
        extensions=authorised(Action.READ_OWN),
        directives=bounded(service.MAX_HELPERS),
        description=(
            "The community helpers (社区代办员) whose register holds you: whom you can "
            f"delegate to with `helperId`. At most {service.MAX_HELPERS}."
        ),
    )
    async def my_helpers(self, info: Info) -> list[CommunityHelper]:
        return [CommunityHelper.of(row) for row in await service.my_helpers(info.context.principal)]
