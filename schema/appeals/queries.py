"""Reading appeals: the resident's list, one appeal, the dispatch catalogue, the supervisors'
督办 inbox and the insights for decisions."""

from __future__ import annotations

import strawberry

from resolvers.appeals import catalogue, insights, reads
from resolvers.appeals.dispatch import MAX_CATEGORY_GROUPS
from resolvers.appeals.errors import AppealError
from resolvers.policy import Action
from schema.appeals.types import (
    Appeal,
    AppealCatalogueVersion,
    AppealCatalogueVersionConnection,
    AppealCategory,
    AppealConnection,
    AppealDispatchRule,
    AppealDispatchRuleConnection,
    AppealFilter,
    AppealInsightFilter,
    AppealInsights,
    AppealSupervision,
    AppealSupervisionConnection,
)
from schema.authorised import authorised
from schema.context import Info
from schema.cost import bounded
from schema.error_codes import PublicError
from schema.ids import node_uuid
from schema.pagination import connection_of, page_request


def _bad_cursor() -> PublicError:
    return PublicError("分页游标无效。", "BAD_USER_INPUT", field="after")


@strawberry.type
class AppealQuery:
    @strawberry.field(
        extensions=authorised(Action.READ_OWN),
        description="The signed-in resident's appeals, newest first. `first` at most 50.",
    )
    async def my_appeals(
        self,
        info: Info,
        filter: AppealFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> AppealConnection:
        request = page_request(first, after, cap=info.context.resources.settings.max_page_size)
        try:
            page = await reads.mine(
                info.context,
                status=filter.status if filter else None,
                first=request.first,
                after=request.after,
            )
        except ValueError:
            raise _bad_cursor() from None
        edges, page_info = connection_of(page, Appeal.of, request.kind)
        return AppealConnection(edges=edges, page_info=page_info)

    @strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        description=(
            "An appeal you filed, one your department handles, or (12345 centre, ADMIN) any; "
            "else null."
        ),
    )
    async def appeal(self, info: Info, id: strawberry.ID) -> Appeal | None:
        appeal_id = node_uuid(id, "Appeal")
        if appeal_id is None:
            return None
        rows = await reads.readable(info.context, [appeal_id])
        return Appeal.of(rows[0]) if rows else None

    @strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        directives=bounded(MAX_CATEGORY_GROUPS),
        description=(
            "The 12345 dispatch catalogue (派单目录) as the centre keeps it: groups with their "
            f"leaf categories; at most {MAX_CATEGORY_GROUPS} groups. Retired categories only "
            "with includeRetired."
        ),
    )
    async def appeal_categories(
        self, info: Info, include_retired: bool = False
    ) -> list[AppealCategory]:
        rows = await reads.categories(include_retired=include_retired)
        return [
            AppealCategory.of(row, include_retired=include_retired)
            for row in rows
            if row.parent_id is None
        ]

    @strawberry.field(
        extensions=authorised(Action.APPEAL_DISPATCH_TABLE_READ),
        description=(
            "12345 centre, ADMIN: the dispatch table as it stands (edited with setAppealRoute "
            "and removeAppealRoute), the rows changed last first; `categoryCode`: that "
            "category's rows (a group: its leaves' too). `first` at most 50."
        ),
    )
    async def appeal_dispatch_rules(
        self,
        info: Info,
        category_code: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> AppealDispatchRuleConnection:
        request = page_request(first, after, cap=info.context.resources.settings.max_page_size)
        try:
            page = await catalogue.dispatch_rules(
                info.context.resources,
                info.context.principal,
                category_code=category_code,
                first=request.first,
                after=request.after,
            )
        except ValueError:
            raise _bad_cursor() from None
        except AppealError as error:
            raise PublicError(error.message, "BAD_USER_INPUT", field=error.field) from None
        edges, page_info = connection_of(page, AppealDispatchRule.of, request.kind)
        return AppealDispatchRuleConnection(edges=edges, page_info=page_info)

    @strawberry.field(
        extensions=authorised(Action.APPEAL_DISPATCH_TABLE_READ),
        description=(
            "12345 centre, ADMIN: every version of the dispatch catalogue and table, newest "
            "first, with who made it, when, and the row before and after. `first` at most 50."
        ),
    )
    async def appeal_dispatch_history(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> AppealCatalogueVersionConnection:
        request = page_request(first, after, cap=info.context.resources.settings.max_page_size)
        try:
            page, entries = await catalogue.dispatch_history(
                info.context.resources,
                info.context.principal,
                first=request.first,
                after=request.after,
            )
        except ValueError:
            raise _bad_cursor() from None
        by_id = {entry.change.id: entry for entry in entries}
        edges, page_info = connection_of(
            page, lambda row: AppealCatalogueVersion.of(by_id[row.id]), request.kind
        )
        return AppealCatalogueVersionConnection(edges=edges, page_info=page_info)

    @strawberry.field(
        extensions=authorised(Action.APPEAL_SUPERVISIONS),
        description=(
            "The supervisors' inbox (12345 centre and ADMIN): 督办 raised for missed sign-for and "
            "reply deadlines, newest first; `unresolved` filters. `first` at most 50."
        ),
    )
    async def appeal_supervisions(
        self,
        info: Info,
        unresolved: bool | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> AppealSupervisionConnection:
        request = page_request(first, after, cap=info.context.resources.settings.max_page_size)
        try:
            page = await reads.supervisions(
                info.context, unresolved=unresolved, first=request.first, after=request.after
            )
        except ValueError:
            raise _bad_cursor() from None
        edges, page_info = connection_of(page, AppealSupervision.of, request.kind)
        return AppealSupervisionConnection(edges=edges, page_info=page_info)

    @strawberry.field(
        extensions=authorised(Action.APPEAL_INSIGHTS),
        description=(
            "Staff: hot topics, weekly trends, spikes, timeliness and satisfaction of appeals "
            "filed in the period (default: the last 12 weeks). Aggregates only; small groups "
            "suppressed."
        ),
    )
    async def appeal_insights(
        self, info: Info, filter: AppealInsightFilter | None = None
    ) -> AppealInsights:
        resources = info.context.resources
        try:
            chosen = await insights.resolve_filter(
                resources,
                insights.Filter(
                    start=filter.start,
                    end=filter.end,
                    region_code=filter.region_code,
                    category_code=filter.category_code,
                )
                if filter
                else None,
            )
            data = await insights.insights(resources, chosen)
        except AppealError as error:
            raise PublicError(error.message, "BAD_USER_INPUT", field=error.field) from None
        return AppealInsights.of(data)
