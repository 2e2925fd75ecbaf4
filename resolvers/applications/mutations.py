"""Application mutations: input in, service call, typed result or typed error out."""

from __future__ import annotations

from uuid import UUID

from resolvers import policy
from resolvers.applications import service
from resolvers.applications.errors import ApplicationError
from resolvers.applications.errors import ApplicationErrorCode as Code
from resolvers.calendar.workdays import set_day
from resolvers.notifications import service as notification_service
from resolvers.notifications.errors import NotificationError, NotificationErrorCode
from schema.applications import (
    AcceptApplicationError,
    AcceptApplicationInput,
    AcceptApplicationResult,
    Application,
    ApplicationTask,
    CalendarDay,
    CompleteTaskError,
    CompleteTaskInput,
    CompleteTaskResult,
    GrantSubscriptionsError,
    GrantSubscriptionsInput,
    GrantSubscriptionsResult,
    IssueResultError,
    IssueResultInput,
    IssueResultResult,
    MarkNotificationsReadError,
    MarkNotificationsReadInput,
    MarkNotificationsReadResult,
    NotificationsRead,
    RateApplicationError,
    RateApplicationInput,
    RateApplicationResult,
    RecordRevisitError,
    RecordRevisitInput,
    RecordRevisitResult,
    Rectification,
    RejectApplicationError,
    RejectApplicationInput,
    RejectApplicationResult,
    RequestSupplementError,
    RequestSupplementInput,
    RequestSupplementResult,
    SetCalendarDayError,
    SetCalendarDayInput,
    SetCalendarDayResult,
    SubmitApplicationError,
    SubmitApplicationInput,
    SubmitApplicationResult,
    SubscriptionGrant,
    SubscriptionGrants,
    SupplementApplicationError,
    SupplementApplicationInput,
    SupplementApplicationResult,
    WithdrawApplicationError,
    WithdrawApplicationInput,
    WithdrawApplicationResult,
)
from schema.context import Info
from storage.models.applications import TaskStatus
from storage.repositories import applications as application_repo
from storage.repositories import notifications as notification_repo


def _application(global_id: str) -> UUID:
    return service.global_uuid(global_id, "Application", "applicationId")


async def submit_application(info: Info, input: SubmitApplicationInput) -> SubmitApplicationResult:
    try:
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
    except ApplicationError as error:
        return SubmitApplicationError.of(error)
    return Application.of(application)


async def supplement_application(
    info: Info, input: SupplementApplicationInput
) -> SupplementApplicationResult:
    try:
        application = await service.supplement(
            info.context.resources,
            info.context.principal,
            _application(input.application_id),
            [str(i) for i in input.document_ids],
            input.note,
        )
    except ApplicationError as error:
        return SupplementApplicationError.of(error)
    return Application.of(application)


async def withdraw_application(
    info: Info, input: WithdrawApplicationInput
) -> WithdrawApplicationResult:
    try:
        application = await service.withdraw(
            info.context.resources,
            info.context.principal,
            _application(input.application_id),
            input.note,
        )
    except ApplicationError as error:
        return WithdrawApplicationError.of(error)
    return Application.of(application)


async def rate_application(info: Info, input: RateApplicationInput) -> RateApplicationResult:
    try:
        application_id = _application(input.application_id)
        await service.rate(
            info.context.resources,
            info.context.principal,
            application_id,
            input.level,
            input.comment,
        )
    except ApplicationError as error:
        return RateApplicationError.of(error)
    rated = await application_repo.by_id(application_id)
    assert rated is not None
    return Application.of(rated)


async def accept_application(info: Info, input: AcceptApplicationInput) -> AcceptApplicationResult:
    try:
        application = await service.accept(
            info.context.resources,
            info.context.principal,
            _application(input.application_id),
            input.note,
        )
    except ApplicationError as error:
        return AcceptApplicationError.of(error)
    return Application.of(application)


async def reject_application(info: Info, input: RejectApplicationInput) -> RejectApplicationResult:
    try:
        application = await service.reject(
            info.context.resources,
            info.context.principal,
            _application(input.application_id),
            input.reason,
        )
    except ApplicationError as error:
        return RejectApplicationError.of(error)
    return Application.of(application)


async def request_supplement(info: Info, input: RequestSupplementInput) -> RequestSupplementResult:
    try:
        application = await service.request_supplement(
            info.context.resources,
            info.context.principal,
            _application(input.application_id),
            list(input.materials),
            input.note,
        )
    except ApplicationError as error:
        return RequestSupplementError.of(error)
    return Application.of(application)


async def complete_task(info: Info, input: CompleteTaskInput) -> CompleteTaskResult:
    try:
        task = await service.complete_task(
            info.context.resources,
            info.context.principal,
            service.global_uuid(input.task_id, "ApplicationTask", "taskId"),
            TaskStatus(input.outcome.value),
            input.note,
        )
    except ApplicationError as error:
        return CompleteTaskError.of(error)
    return ApplicationTask.of(task)


async def issue_result(info: Info, input: IssueResultInput) -> IssueResultResult:
    try:
        application = await service.issue_result(
            info.context.resources,
            info.context.principal,
            _application(input.application_id),
            input.note,
        )
    except ApplicationError as error:
        return IssueResultError.of(error)
    return Application.of(application)


async def record_revisit(info: Info, input: RecordRevisitInput) -> RecordRevisitResult:
    try:
        row = await service.record_revisit(
            info.context.resources,
            info.context.principal,
            service.global_uuid(input.rectification_id, "Rectification", "rectificationId"),
            input.note,
        )
    except ApplicationError as error:
        return RecordRevisitError.of(error)
    return Rectification.of(row)


async def grant_subscriptions(
    info: Info, input: GrantSubscriptionsInput
) -> GrantSubscriptionsResult:
    try:
        grants = await notification_service.grant_subscriptions(
            info.context.resources,
            info.context.principal,
            [(r.template_id, r.result) for r in input.results],
        )
    except NotificationError as error:
        return GrantSubscriptionsError.of(error)
    return SubscriptionGrants(grants=[SubscriptionGrant.of(g) for g in grants])


async def mark_notifications_read(
    info: Info, input: MarkNotificationsReadInput
) -> MarkNotificationsReadResult:
    await policy.authorize(
        info.context.resources, info.context.principal, policy.Action.NOTIFICATIONS_MARK_READ
    )
    account_id = info.context.principal.account_id
    assert account_id is not None
    ids: list[UUID] | None = None
    if input.ids is not None:
        if len(input.ids) > 50:
            return MarkNotificationsReadError.of(
                NotificationError(NotificationErrorCode.TOO_MANY_ITEMS, "ids")
            )
        try:
            ids = [UUID(str(i)) for i in input.ids]
        except ValueError:
            return MarkNotificationsReadError.of(
                NotificationError(NotificationErrorCode.INVALID_INPUT, "ids")
            )
    marked = await notification_repo.mark_read(account_id, ids, now=info.context.resources.clock())
    return NotificationsRead(marked=marked)


async def set_calendar_day(info: Info, input: SetCalendarDayInput) -> SetCalendarDayResult:
    """ADMIN. Open deadlines past the day are computed again by the worker's deadline pass
    only when they were beyond the calendar; see the README."""
    await policy.authorize(
        info.context.resources, info.context.principal, policy.Action.CALENDAR_SET_DAY
    )
    note = " ".join(input.note.split())
    if len(note) > 64:
        return SetCalendarDayError.of(ApplicationError(Code.INVALID_INPUT, "note"))
    row = await set_day(input.day, is_workday=input.is_workday, note=note)
    return CalendarDay.of(row)
