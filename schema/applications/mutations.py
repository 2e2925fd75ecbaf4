"""Application mutations: input in, service call, typed result or typed error out."""

from __future__ import annotations

from uuid import UUID

import strawberry

from resolvers import policy
from resolvers.applications import service
from resolvers.applications.errors import ApplicationError
from resolvers.applications.errors import ApplicationErrorCode as Code
from resolvers.calendar.workdays import set_day
from resolvers.notifications import service as notification_service
from resolvers.policy import Action
from schema.applications.types import (
    AcceptApplicationInput,
    AcceptApplicationResult,
    Application,
    ApplicationTask,
    CalendarDay,
    CompleteTaskInput,
    CompleteTaskResult,
    GrantSubscriptionsInput,
    GrantSubscriptionsResult,
    IssueResultInput,
    IssueResultResult,
    MarkNotificationsReadInput,
    MarkNotificationsReadResult,
    NotificationsRead,
    RateApplicationInput,
    RateApplicationResult,
    RecordRevisitInput,
    RecordRevisitResult,
    Rectification,
    RejectApplicationInput,
    RejectApplicationResult,
    RequestSupplementInput,
    RequestSupplementResult,
    SetCalendarDayInput,
    SetCalendarDayResult,
    SubmitApplicationInput,
    SubmitApplicationResult,
    SubscriptionGrant,
    SubscriptionGrants,
    SupplementApplicationInput,
    SupplementApplicationResult,
    WithdrawApplicationInput,
    WithdrawApplicationResult,
)
from schema.authorised import authorised
from schema.context import Info
from schema.ids import uuid_of
from storage.models.applications import TaskStatus


def _uuid(global_id: str, type_name: str, field: str) -> UUID:
    return uuid_of(global_id, type_name, field, ApplicationError, Code.NOT_FOUND)


def _application(global_id: str) -> UUID:
    return _uuid(global_id, "Application", "applicationId")


@strawberry.type
class ApplicationMutation:
    @strawberry.mutation(
        extensions=authorised(Action.APPLICATION_SUBMIT),
        description=(
            "Applies for a published service: the form is checked against its schema, each "
            "material is matched to a wallet document of its kind (government-issued ones "
            "are attached from the wallet), 容缺 materials may follow. Real-name residents."
        ),
    )
    async def submit_application(
        self, info: Info, input: SubmitApplicationInput
    ) -> SubmitApplicationResult:
        application = await service.submit(
            info.context.resources,
            info.context.principal,
            service_code=input.service_code,
            region_code=input.region_code,
            form=input.form,
            document_ids=[str(i) for i in input.document_ids],
            channel=input.channel,
            idempotency_key=input.idempotency_key,
        )
        return Application.of(application)

    @strawberry.mutation(
        extensions=authorised(Action.APPLICATION_SUPPLEMENT),
        description="Supplies what 补正 asked for (or owed 容缺 materials); the clock restarts.",
    )
    async def supplement_application(
        self, info: Info, input: SupplementApplicationInput
    ) -> SupplementApplicationResult:
        application = await service.supplement(
            info.context.resources,
            info.context.principal,
            _application(input.application_id),
            [str(i) for i in input.document_ids],
            input.note,
        )
        return Application.of(application)

    @strawberry.mutation(
        extensions=authorised(Action.APPLICATION_WITHDRAW),
        description="Withdraws an application before it is accepted.",
    )
    async def withdraw_application(
        self, info: Info, input: WithdrawApplicationInput
    ) -> WithdrawApplicationResult:
        application = await service.withdraw(
            info.context.resources,
            info.context.principal,
            _application(input.application_id),
            input.note,
        )
        return Application.of(application)

    @strawberry.mutation(
        extensions=authorised(Action.APPLICATION_RATE),
        description=(
            "好差评, once per finished application; DISSATISFIED or worse opens a rectification "
            "for the department."
        ),
    )
    async def rate_application(
        self, info: Info, input: RateApplicationInput
    ) -> RateApplicationResult:
        application_id = _application(input.application_id)
        rated = await service.rate_application(
            info.context.resources,
            info.context.principal,
            application_id,
            input.level,
            input.comment,
        )
        return Application.of(rated)

    @strawberry.mutation(
        extensions=authorised(Action.APPLICATION_ACCEPT),
        description="Staff of the single window: accepts; one task per department, in parallel.",
    )
    async def accept_application(
        self, info: Info, input: AcceptApplicationInput
    ) -> AcceptApplicationResult:
        application = await service.accept(
            info.context.resources,
            info.context.principal,
            _application(input.application_id),
            input.note,
        )
        return Application.of(application)

    @strawberry.mutation(
        extensions=authorised(Action.APPLICATION_REJECT),
        description="Staff of the single window: does not accept, with a reason.",
    )
    async def reject_application(
        self, info: Info, input: RejectApplicationInput
    ) -> RejectApplicationResult:
        application = await service.reject(
            info.context.resources,
            info.context.principal,
            _application(input.application_id),
            input.reason,
        )
        return Application.of(application)

    @strawberry.mutation(
        extensions=authorised(Action.APPLICATION_REQUEST_SUPPLEMENT),
        description="Staff: asks for 补正 in one go; the clock stops until the resident supplies.",
    )
    async def request_supplement(
        self, info: Info, input: RequestSupplementInput
    ) -> RequestSupplementResult:
        application = await service.request_supplement(
            info.context.resources,
            info.context.principal,
            _application(input.application_id),
            list(input.materials),
            input.note,
        )
        return Application.of(application)

    @strawberry.mutation(
        extensions=authorised(Action.APPLICATION_COMPLETE_TASK),
        description="Staff of the task's department: approves or denies (with a note) its part.",
    )
    async def complete_task(self, info: Info, input: CompleteTaskInput) -> CompleteTaskResult:
        task = await service.complete_task(
            info.context.resources,
            info.context.principal,
            _uuid(input.task_id, "ApplicationTask", "taskId"),
            TaskStatus(input.outcome.value),
            input.note,
        )
        return ApplicationTask.of(task)

    @strawberry.mutation(
        extensions=authorised(Action.APPLICATION_ISSUE_RESULT),
        description="Staff of the single window: issues the result into the wallet (trust A).",
    )
    async def issue_result(self, info: Info, input: IssueResultInput) -> IssueResultResult:
        application = await service.issue_result(
            info.context.resources,
            info.context.principal,
            _application(input.application_id),
            input.note,
        )
        return Application.of(application)

    @strawberry.mutation(
        extensions=authorised(Action.RECTIFICATION_REVISIT),
        description="Staff: records the revisit (回访) that closes a 差评 rectification.",
    )
    async def record_revisit(self, info: Info, input: RecordRevisitInput) -> RecordRevisitResult:
        row = await service.record_revisit(
            info.context.resources,
            info.context.principal,
            _uuid(input.rectification_id, "Rectification", "rectificationId"),
            input.note,
        )
        return Rectification.of(row)

    @strawberry.mutation(
        extensions=authorised(Action.NOTIFICATIONS_GRANT_SUBSCRIPTIONS),
        description="Records what wx.requestSubscribeMessage returned: one message per accept.",
    )
    async def grant_subscriptions(
        self, info: Info, input: GrantSubscriptionsInput
    ) -> GrantSubscriptionsResult:
        grants = await notification_service.grant_subscriptions(
            info.context.resources,
            info.context.principal,
            [(r.template_id, r.result) for r in input.results],
        )
        return SubscriptionGrants(grants=[SubscriptionGrant.of(g) for g in grants])

    @strawberry.mutation(
        extensions=authorised(Action.NOTIFICATIONS_MARK_READ),
        description="Marks inbox messages read (all of them without ids).",
    )
    async def mark_notifications_read(
        self, info: Info, input: MarkNotificationsReadInput
    ) -> MarkNotificationsReadResult:
        marked = await notification_service.mark_read(
            info.context.resources, info.context.principal, input.ids
        )
        return NotificationsRead(marked=marked)

    @strawberry.mutation(
        extensions=authorised(Action.CALENDAR_SET_DAY),
        description="ADMIN: sets whether a date is a working day (holidays, 调休).",
    )
    async def set_calendar_day(
        self, info: Info, input: SetCalendarDayInput
    ) -> SetCalendarDayResult:
        """ADMIN. Open deadlines past the day are computed again by the worker's deadline pass
        only when they were beyond the calendar; see the README."""
        await policy.authorize(
            info.context.resources, info.context.principal, policy.Action.CALENDAR_SET_DAY
        )
        note = " ".join(input.note.split())
        if len(note) > 64:
            raise ApplicationError(Code.INVALID_INPUT, "note")
        row = await set_day(
            input.day, is_workday=input.is_workday, note=note, now=info.context.resources.clock()
        )
        return CalendarDay.of(row)
