"""Reading applications, the staff work list, supervision, the inbox, ratings, the calendar;
and the applicationEvents subscription."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

import strawberry

from resolvers.appeals import reads as appeal_reads
from resolvers.applications import reads
from resolvers.calendar import service as calendar_service
from resolvers.calendar.workdays import last_known_day
from resolvers.notifications import service as notification_service
from resolvers.notifications.service import MAX_TEMPLATES, subscription_templates
from resolvers.policy import Action
from schema.appeals.types import Appeal
from schema.applications.types import (
    RATING_SUMMARIES,
    RECTIFICATIONS,
    Application,
    ApplicationConnection,
    ApplicationFilter,
    ApplicationTask,
    CalendarDay,
    Notification,
    NotificationConnection,
    RatingLevelCount,
    RatingSummary,
    Rectification,
    SubscriptionTemplate,
    WorkItem,
    WorkItemConnection,
)
from schema.authorised import authorised
from schema.context import Info
from schema.cost import bounded
from schema.error_codes import PublicError
from schema.ids import node_uuid
from schema.pagination import connection_of, edges_of, page_request
from storage.models.applications import RatingLevel, RectificationStatus

MAX_CALENDAR_DAYS = 400  # days in one answer, both ends included


def _bad_cursor() -> PublicError:
    return PublicError("分页游标无效。", "BAD_USER_INPUT", field="after")


@strawberry.enum(description="Group ratings by item (basic code) or by department.")
class RatingGrouping(StrEnum):
    ITEM = "ITEM"
    DEPARTMENT = "DEPARTMENT"


@strawberry.type
class ApplicationQuery:
    @strawberry.field(
        extensions=authorised(Action.READ_OWN_APPLICATIONS),
        description="The signed-in resident's applications, newest first. `first` at most 50.",
    )
    async def my_applications(
        self,
        info: Info,
        filter: ApplicationFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> ApplicationConnection:
        request = page_request(first, after, cap=info.context.resources.settings.max_page_size)
        try:
            page = await reads.mine(
                info.context.principal,
                status=filter.status if filter else None,
                first=request.first,
                after=request.after,
            )
        except ValueError:
            raise _bad_cursor() from None
        edges, page_info = connection_of(page, Application.of, request.kind)
        return ApplicationConnection(edges=edges, page_info=page_info)

    @strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        description="An application of yours, or one your department handles; else null.",
    )
    async def application(self, info: Info, id: strawberry.ID) -> Application | None:
        application_id = node_uuid(id, "Application")
        if application_id is None:
            return None
        rows = await reads.readable(info.context.principal, [application_id])
        return Application.of(rows[0]) if rows else None

    @strawberry.field(
        extensions=authorised(Action.WORK_ITEMS),
        description=(
            "Staff inbox: applications awaiting the department's acceptance and its pending "
            "tasks, soonest working-day deadline first. `first` at most 50."
        ),
    )
    async def work_items(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> WorkItemConnection:
        request = page_request(
            first, after, cap=info.context.resources.settings.max_page_size, kind="o"
        )
        appeals = [
            reads.WorkItem(item.kind, item.due_date, item.overdue, None, None, item.appeal)
            for item in await appeal_reads.work_items(
                info.context, limit=request.offset + request.first + 1
            )
        ]
        try:
            items, positions, has_next = await reads.work_items(
                info.context.resources,
                info.context.principal,
                first=request.first,
                after=request.after,
                others=appeals,
            )
        except ValueError:
            raise _bad_cursor() from None
        nodes = [
            WorkItem(
                kind=item.kind,
                due_date=item.due_date,
                overdue=item.overdue,
                application=Application.of(item.application) if item.application else None,
                task=ApplicationTask.of(item.task) if item.task else None,
                appeal=Appeal.of(item.appeal) if item.appeal else None,
            )
            for item in items
        ]
        edges, page_info = edges_of(nodes, positions, request.kind, has_next)
        return WorkItemConnection(edges=edges, page_info=page_info)

    @strawberry.field(
        extensions=authorised(Action.APPLICATIONS_OVERDUE),
        description=(
            "效能监察: applications past their acceptance or completion deadline (clock "
            "running), in the caller's region and below (ADMIN: everywhere), oldest first."
        ),
    )
    async def overdue_applications(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> ApplicationConnection:
        request = page_request(first, after, cap=info.context.resources.settings.max_page_size)
        try:
            page = await reads.overdue(
                info.context.resources,
                info.context.principal,
                first=request.first,
                after=request.after,
            )
        except ValueError:
            raise _bad_cursor() from None
        edges, page_info = connection_of(page, Application.of, request.kind)
        return ApplicationConnection(edges=edges, page_info=page_info)

    @strawberry.field(
        extensions=authorised(Action.READ_OWN),
        description="The signed-in account's inbox, newest first. `first` at most 50.",
    )
    async def notifications(
        self,
        info: Info,
        unread: bool | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> NotificationConnection:
        request = page_request(first, after, cap=info.context.resources.settings.max_page_size)
        try:
            page = await notification_service.inbox(
                info.context.principal, unread=unread, first=request.first, after=request.after
            )
        except ValueError:
            raise _bad_cursor() from None
        edges, page_info = connection_of(page, Notification.of, request.kind)
        return NotificationConnection(edges=edges, page_info=page_info)

    @strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        directives=bounded(MAX_TEMPLATES),
        description=(
            "Template ids to pass to wx.requestSubscribeMessage, by event; at most "
            f"{MAX_TEMPLATES}."
        ),
    )
    def wechat_subscription_templates(self, info: Info) -> list[SubscriptionTemplate]:
        return [SubscriptionTemplate.of(o) for o in subscription_templates(info.context.resources)]

    @strawberry.field(
        extensions=authorised(Action.APPLICATION_RATINGS),
        directives=RATING_SUMMARIES.directives,
        description=(
            RATING_SUMMARIES.describe(
                "好差评 counts per level and average (5..1), per item or department."
            )
        ),
    )
    async def application_ratings(
        self, info: Info, by: RatingGrouping, first: int | None = RATING_SUMMARIES.default
    ) -> list[RatingSummary]:
        size = RATING_SUMMARIES.size(first)
        summaries = await reads.rating_summaries(
            info.context.principal, by_department=by is RatingGrouping.DEPARTMENT, limit=size
        )
        return [
            RatingSummary(
                key=s["key"],
                total=s["total"],
                average=round(s["sum"] / s["total"], 2) if s["total"] else 0.0,
                levels=[
                    RatingLevelCount(level=lv, count=s["levels"].get(lv.value, 0))
                    for lv in RatingLevel
                ],
            )
            for s in summaries
        ]

    @strawberry.field(
        extensions=authorised(Action.RECTIFICATIONS),
        directives=RECTIFICATIONS.directives,
        description=(
            RECTIFICATIONS.describe("The department's 差评 rectifications, soonest due first.")
        ),
    )
    async def rectifications(
        self,
        info: Info,
        status: RectificationStatus | None = None,
        first: int | None = RECTIFICATIONS.default,
    ) -> list[Rectification]:
        size = RECTIFICATIONS.size(first)
        rows = await reads.rectifications(info.context.principal, status=status, limit=size)
        return [Rectification.of(r) for r in rows]

    @strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        directives=bounded(MAX_CALENDAR_DAYS),
        description=(
            "Working days and rest days between two dates, both included (at most "
            f"{MAX_CALENDAR_DAYS} days)."
        ),
    )
    async def calendar(self, info: Info, start: date, end: date) -> list[CalendarDay]:
        if end < start or (end - start).days + 1 > MAX_CALENDAR_DAYS:
            raise PublicError(
                f"日期范围须在 {MAX_CALENDAR_DAYS} 天以内。", "BAD_USER_INPUT", field="end"
            )
        return [CalendarDay.of(row) for row in await calendar_service.days(start, end)]

    @strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        description="The last date the working-day calendar knows; deadlines past it are flagged.",
    )
    async def calendar_known_until(self, info: Info) -> date | None:
        return await last_known_day()
