"""Reading appeals: the resident's list, one appeal, the dispatch catalogue, the supervisors'
督办 inbox and the insights for decisions."""

from __future__ import annotations

import strawberry

from resolvers.appeals import insights, reads
from resolvers.appeals.errors import AppealError
from schema.appeals import (
    Appeal,
    AppealCategory,
    AppealConnection,
    AppealFilter,
    AppealInsightFilter,
    AppealInsights,
    AppealSupervision,
    AppealSupervisionConnection,
)
from schema.context import Info
from schema.error_codes import PublicError
from schema.ids import node_uuid
from schema.pagination import connection_of, page_request
from storage.repositories import appeals as repo


def _bad_cursor() -> PublicError:
    return PublicError("分页游标无效。", "BAD_USER_INPUT", field="after")


async def my_appeals(
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


async def appeal(info: Info, id: strawberry.ID) -> Appeal | None:
    appeal_id = node_uuid(id, "Appeal")
    if appeal_id is None:
        return None
    rows = await reads.readable(info.context, [appeal_id])
    return Appeal.of(rows[0]) if rows else None


async def appeal_categories(info: Info) -> list[AppealCategory]:
    rows = await repo.categories()
    return [AppealCategory.of(row) for row in rows if row.parent_id is None]


async def appeal_supervisions(
    info: Info, unresolved: bool | None = None, first: int | None = None, after: str | None = None
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


async def appeal_insights(info: Info, filter: AppealInsightFilter | None = None) -> AppealInsights:
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
