"""Online applications' types: the application with its tasks and timeline, the inbox, the
staff work list, 好差评, and every mutation's input, error and result."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Self
from uuid import UUID

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from resolvers import policy
from resolvers.applications import reads, service
from resolvers.applications.deadlines import is_overdue
from resolvers.applications.errors import ApplicationError, ApplicationErrorCode
from resolvers.applications.events import StatusChange
from resolvers.applications.service import MAX_TASKS
from resolvers.calendar.workdays import china_date
from resolvers.catalogue.drafts import MAX_MATERIALS
from resolvers.errors import MAX_ERROR_FIELDS
from resolvers.notifications.errors import NotificationErrorCode
from resolvers.notifications.service import MAX_TEMPLATES, TemplateOffer
from resolvers.scenarios.definitions import MAX_ITEMS
from schema.appeals.types import Appeal
from schema.catalogue.types import Department, Service
from schema.context import Info
from schema.cost import bounded
from schema.documents.types import Document
from schema.errors import UserError
from schema.pagination import Connection, ListLimit
from schema.payments.types import Payment
from storage.models import applications as models
from storage.models.applications import (
    ActorKind,
    ApplicationStatus,
    EventType,
    MaterialState,
    RatingLevel,
    RectificationStatus,
    TaskStatus,
)
from storage.models.calendar import CalendarDay as CalendarDayModel
from storage.models.calendar import CalendarSource
from storage.models.catalogue import Channel, MaterialSource, Necessity
from storage.models.notifications import Notification as NotificationModel
from storage.models.notifications import SubscriptionGrant as GrantModel

if TYPE_CHECKING:
    from schema.scenarios.types import Scenario

# An application's timeline: a handful of events, more with 补正 rounds and progress notes.
EVENTS = ListLimit(default=100, cap=100)
# A scenario bundle makes one application per item of its definition.
CHILDREN = ListLimit(default=MAX_ITEMS, cap=MAX_ITEMS)
# 好差评 figures per item or per department; 差评 rectifications of one department.
RATING_SUMMARIES = ListLimit(default=100, cap=200)
RECTIFICATIONS = ListLimit(default=100, cap=100)

strawberry.enum(
    ApplicationStatus,
    description=(
        "SUBMITTED -> ACCEPTED | NOT_ACCEPTED | SUPPLEMENT_REQUESTED (补正, clock stopped); "
        "ACCEPTED -> APPROVED (every department approved) | DENIED; APPROVED -> COMPLETED "
        "(result issued); WITHDRAWN by the resident before acceptance."
    ),
)
strawberry.enum(TaskStatus, description="A department's part: CANCELLED when another denied.")
strawberry.enum(EventType, description="What happened on an application's timeline.")
strawberry.enum(
    ActorKind,
    description=(
        "Who took a step: RESIDENT (the owner), WINDOW (the single window of the lead "
        "department: acceptance, refusal, 补正 requests, the result), DEPARTMENT (a handling "
        "department's decision on its task or progress, by an officer or its own system), "
        "SYSTEM (the platform: deadline reminders, the outcome the tasks add up to, a "
        "bundle following its items)."
    ),
)
strawberry.enum(
    MaterialState,
    description=(
        "PROVIDED by the resident; FROM_WALLET: government-issued, attached automatically; "
        "FROM_ISSUER: government-issued, the department fetches it (never asked again); "
        "OWED: 容缺后补, to be supplied with supplementApplication; MISSING: optional, not given."
    ),
)
strawberry.enum(RatingLevel, description="好差评: 非常满意, 满意, 基本满意, 不满意, 非常不满意.")
strawberry.enum(RectificationStatus)
strawberry.enum(CalendarSource)
strawberry.enum(ApplicationErrorCode)
strawberry.enum(NotificationErrorCode)


@strawberry.enum(description="A department's decision on its task.")
class TaskOutcome(StrEnum):
    APPROVED = "APPROVED"
    DENIED = "DENIED"


@strawberry.type(description="One department's part of an accepted application.")
class ApplicationTask(relay.Node):
    id: relay.NodeID[str]
    status: TaskStatus
    due_date: date | None = strawberry.field(
        description="Working-day deadline (China time); null when past the known calendar."
    )
    lead: bool = strawberry.field(description="The implementation's own department.")
    acted_at: datetime | None
    note: str
    _model: strawberry.Private[models.ApplicationTask]

    @classmethod
    def of(cls, model: models.ApplicationTask) -> Self:
        return cls(
            id=str(model.id),
            status=model.status,
            due_date=model.due_date,
            lead=model.lead,
            acted_at=model.acted_at,
            note=model.note,
            _model=model,
        )

    @strawberry.field
    async def department(self, info: Info) -> Department:
        department = await info.context.loaders.department.load(self._model.department_id)
        assert department is not None
        return Department.of(department)

    @strawberry.field(description="The application the task belongs to.")
    async def application(self, info: Info) -> Application | None:
        rows = await reads.readable(info.context.principal, [self._model.application_id])
        return Application.of(rows[0]) if rows else None

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        return [None for _ in node_ids]  # tasks are reached through their application


@strawberry.type(description="An entry of the timeline: the audit trail of the application.")
class ApplicationEvent:
    type: EventType
    at: datetime
    status: ApplicationStatus = strawberry.field(description="The status after the event.")
    note: str
    by_staff: bool = strawberry.field(description="A staff member acted (not the resident).")
    actor_kind: ActorKind
    _department_id: strawberry.Private[UUID | None]
    _item: strawberry.Private[models.Application | None] = None

    @classmethod
    def of(cls, row: models.ApplicationEvent, owner_id: UUID, item: bool = False) -> Self:
        return cls(
            type=row.type,
            at=row.at,
            status=row.status,
            note=row.note,
            by_staff=row.actor_id is not None and row.actor_id != owner_id,
            actor_kind=row.actor_kind,
            _department_id=row.department_id,
            _item=row.application if item else None,
        )

    @strawberry.field(
        description=(
            "The department the step was taken for: the single window's for its steps, the "
            "deciding department's for a task's outcome or progress; null for the resident's "
            "and the platform's steps."
        )
    )
    async def department(self, info: Info) -> Department | None:
        if self._department_id is None:
            return None
        row = await info.context.loaders.department.load(self._department_id)
        return Department.of(row) if row else None

    @strawberry.field(
        description=(
            "On a scenario bundle's timeline, the item (its own application) the step was "
            "taken on; null for the bundle's own steps and on an item's timeline."
        )
    )
    def item(self) -> Application | None:
        return Application.of(self._item) if self._item is not None else None


@strawberry.type(description="How one material of the guide was satisfied.")
class ApplicationMaterial:
    position: int = strawberry.field(description="Index in the guide's material list.")
    name: str
    necessity: Necessity
    source: MaterialSource
    state: MaterialState
    _document_id: strawberry.Private[UUID | None]
    _visible: strawberry.Private[bool]

    @strawberry.field
    async def document(self, info: Info) -> Document | None:
        if self._document_id is None or not self._visible:
            return None
        document = await info.context.loaders.document.load(self._document_id)
        return Document.of(document) if document else None


@strawberry.type(description="好差评 of a finished application.")
class Rating:
    level: RatingLevel
    comment: str
    created_at: datetime

    @classmethod
    def of(cls, model: models.Rating) -> Self:
        return cls(level=model.level, comment=model.comment, created_at=model.created_at)


@strawberry.type(
    description=(
        "An online application (办件), visible to its owner and to staff of the departments "
        "handling it. Deadlines are working days (holidays and 调休 from the calendar)."
    )
)
class Application(relay.Node):
    id: relay.NodeID[str]
    number: str = strawberry.field(description="Human-readable: CD + date + sequence.")
    status: ApplicationStatus
    channel: Channel
    submitted_at: datetime
    acceptance_due_date: date | None = strawberry.field(
        description="Accept, refuse or ask for 补正 by then (working days)."
    )
    accepted_on: date | None
    due_date: date | None = strawberry.field(
        description=(
            "Completion deadline: promisedDays working days after acceptance, moved by the "
            "working days spent waiting for 补正. Null before acceptance or when it falls "
            "past the known calendar (see dueBeyondCalendar)."
        )
    )
    due_date_provisional: bool = strawberry.field(
        description=(
            "The running deadline (acceptanceDueDate before acceptance, dueDate after) was "
            "counted over a year whose schedule is not published yet: weekends and the "
            "statutory holidays, without that year's 调休. It is counted again, and this "
            "turns false, when the official year is loaded."
        )
    )
    due_beyond_calendar: bool = strawberry.field(
        description="A deadline lies past the last year the calendar knows: not guessed."
    )
    clock_stopped: bool = strawberry.field(description="Waiting for 补正: the clock stands still.")
    reason: str = strawberry.field(description="Why it was not accepted or was denied.")
    finished_at: datetime | None
    _model: strawberry.Private[models.Application]

    @classmethod
    def of(cls, model: models.Application) -> Self:
        return cls(
            id=str(model.id),
            number=model.number,
            status=model.status,
            channel=model.channel,
            submitted_at=model.submitted_at,
            acceptance_due_date=model.acceptance_due_date,
            accepted_on=model.accepted_on,
            due_date=model.due_date,
            due_date_provisional=model.due_provisional,
            due_beyond_calendar=model.due_beyond_calendar,
            clock_stopped=model.status is ApplicationStatus.SUPPLEMENT_REQUESTED,
            reason=model.reason,
            finished_at=model.finished_at,
            _model=model,
        )

    @strawberry.field(description="Past its deadline with the clock running.")
    def overdue(self, info: Info) -> bool:
        return is_overdue(self._model, china_date(info.context.resources.clock()))

    @strawberry.field(
        description=(
            "The exact published version of the guide it was made under. Null on a scenario "
            "bundle's parent (一件事): its `children` each have their own."
        )
    )
    async def service(self, info: Info) -> Service | None:
        if self._model.implementation_id is None:
            return None
        implementation = await info.context.loaders.implementation.load(
            self._model.implementation_id
        )
        return Service.of(implementation) if implementation else None

    @strawberry.field(
        description=(
            "The single window: the implementation's department. Null on a scenario bundle's "
            "parent, whose items are each handled by their own department."
        )
    )
    async def department(self, info: Info) -> Department | None:
        if self._model.department_id is None:
            return None
        department = await info.context.loaders.department.load(self._model.department_id)
        return Department.of(department) if department else None

    @strawberry.field(
        directives=bounded(MAX_TASKS),
        description=(
            "One task per department (the lead and each cooperating one), handled in "
            f"parallel; at most {MAX_TASKS}."
        ),
    )
    async def tasks(self, info: Info) -> list[ApplicationTask]:
        rows = await info.context.loaders.application_tasks.load(self._model.id)
        return [ApplicationTask.of(row) for row in rows]

    @strawberry.field(
        directives=EVENTS.directives,
        description=EVENTS.describe(
            "The timeline, oldest first. A scenario bundle's shows its own steps and its "
            "items' key steps (accepted, each department's decision, how each ended), each "
            "naming its `item`."
        ),
    )
    async def events(
        self, info: Info, first: int | None = EVENTS.default
    ) -> list[ApplicationEvent]:
        size = EVENTS.size(first)
        owner_id = self._model.owner_id
        loaders = info.context.loaders
        rows = await loaders.application_events.load(self._model.id)
        if self._model.implementation_id is not None:
            return [ApplicationEvent.of(row, owner_id) for row in rows[:size]]
        items = await loaders.bundle_item_events.load(self._model.id)
        timeline = sorted(
            [(row, False) for row in rows] + [(row, True) for row in items],
            key=lambda pair: (pair[0].at, pair[0].seq),
        )
        return [ApplicationEvent.of(row, owner_id, item) for row, item in timeline[:size]]

    async def _handles(self, info: Info) -> bool:
        """Owner or an officer of a handling department: sees the form and the files."""
        tasks = await info.context.loaders.application_tasks.load(self._model.id)
        return await policy.allows(
            info.context.resources,
            info.context.principal,
            policy.Action.APPLICATION_READ,
            service.subject(self._model, {t.department_id for t in tasks}),
        )

    @strawberry.field(
        directives=bounded(MAX_MATERIALS),
        description=(
            f"Each material of the guide (at most {MAX_MATERIALS}) and how it was satisfied."
        ),
    )
    async def materials(self, info: Info) -> list[ApplicationMaterial]:
        visible = await self._handles(info)
        rows = await info.context.loaders.application_materials.load(self._model.id)
        return [
            ApplicationMaterial(
                position=row.position,
                name=row.name,
                necessity=row.necessity,
                source=row.source,
                state=row.state,
                _document_id=row.document_id,
                _visible=visible,
            )
            for row in rows
        ]

    @strawberry.field(
        directives=bounded(MAX_MATERIALS),
        description=(
            "The wallet documents it uses (owner and handling staff only; reads logged): one "
            "per material at most."
        ),
    )
    async def documents(self, info: Info) -> list[Document]:
        if not await self._handles(info):
            return []
        rows = await info.context.loaders.application_materials.load(self._model.id)
        ids = [row.document_id for row in rows if row.document_id is not None]
        documents = await info.context.loaders.document.load_many(ids)
        return [Document.of(d) for d in documents if d is not None]

    @strawberry.field(
        description="The form as submitted (owner and handling staff only): it holds personal data."
    )
    async def form(self, info: Info) -> JSON | None:
        if not await self._handles(info):
            return None
        form: JSON | None = service.read_form(info.context.resources, self._model)
        return form

    @strawberry.field(description="The result issued into the wallet (trust level A).")
    async def result(self, info: Info) -> Document | None:
        if self._model.result_document_id is None or not await self._handles(info):
            return None
        document = await info.context.loaders.document.load(self._model.result_document_id)
        return Document.of(document) if document else None

    @strawberry.field(
        description=(
            "The fee it owes (amount, due by, status, items), when its item charges one; the "
            "application does not move past the charging step until it is paid."
        )
    )
    async def payment(self, info: Info) -> Payment | None:
        row = await info.context.loaders.payment.load(self._model.id)
        return Payment.of(row) if row else None

    @strawberry.field(description="好差评, once given.")
    async def rating(self, info: Info) -> Rating | None:
        row = await info.context.loaders.application_rating.load(self._model.id)
        return Rating.of(row) if row else None

    @strawberry.field(
        directives=CHILDREN.directives,
        description=CHILDREN.describe(
            "Scenario bundles: the applications it created, in the plan's item order."
        ),
    )
    async def children(self, info: Info, first: int | None = CHILDREN.default) -> list[Application]:
        size = CHILDREN.size(first)
        rows = await reads.children(info.context.principal, self._model.id, size)
        return [Application.of(row) for row in rows]

    @strawberry.field(
        description=(
            "The scenario bundle (一件事) it belongs to: for the bundle's parent and for each "
            "of its items; null for an application made on its own."
        )
    )
    async def scenario(
        self, info: Info
    ) -> Annotated[Scenario, strawberry.lazy("schema.scenarios.types")] | None:
        from schema.scenarios.types import Scenario

        parent_id = self._model.parent_id or self._model.id
        submission = await info.context.loaders.scenario_submission.load(parent_id)
        if submission is None:
            return None
        found = await info.context.loaders.scenario.load(submission.scenario_id)
        return Scenario.of(found) if found else None

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        node_ids = list(node_ids)
        ids = [_uuid(n) for n in node_ids]
        rows = await reads.readable(info.context.principal, [i for i in ids if i is not None])
        found = {r.id: cls.of(r) for r in rows}
        return [found.get(i) if i else None for i in ids]


def _uuid(value: str) -> UUID | None:
    try:
        return UUID(value)
    except ValueError:
        return None


ApplicationConnection = Connection[Application]


@strawberry.type(
    description="A staff inbox item: an acceptance, a task of the department, or an appeal."
)
class WorkItem:
    kind: str = strawberry.field(
        description=(
            "ACCEPTANCE (single window) or TASK of an application; for appeals APPEAL_SIGN or "
            "APPEAL_REPLY (the department's), and for the 12345 centre APPEAL_DISPATCH, "
            "APPEAL_MODERATION and APPEAL_EXTENSION."
        )
    )
    due_date: date | None = strawberry.field(description="Working-day deadline; null: none.")
    overdue: bool
    application: Application | None = strawberry.field(
        description="The application (null for appeal items)."
    )
    task: ApplicationTask | None
    appeal: Appeal | None = strawberry.field(
        default=None, description="The appeal (null for application items)."
    )


WorkItemConnection = Connection[WorkItem]


@strawberry.type(description="A message in the signed-in account's inbox.")
class Notification:
    id: strawberry.ID
    topic: str
    title: str
    body: str
    created_at: datetime
    read: bool
    subject_id: strawberry.ID | None = strawberry.field(
        description="The global id of what it is about (an Application or an Appeal)."
    )

    @classmethod
    def of(cls, model: NotificationModel) -> Self:
        return cls(
            id=strawberry.ID(str(model.id)),
            topic=model.topic,
            title=model.title,
            body=model.body,
            created_at=model.created_at,
            read=model.read_at is not None,
            subject_id=(
                strawberry.ID(
                    relay.to_base64(
                        "Appeal" if model.topic.startswith("APPEAL") else "Application",
                        model.subject_id,
                    )
                )
                if model.subject_id
                else None
            ),
        )


NotificationConnection = Connection[Notification]


@strawberry.type(description="Pass `templateId` to wx.requestSubscribeMessage for `event`.")
class SubscriptionTemplate:
    event: str
    template_id: str

    @classmethod
    def of(cls, offer: TemplateOffer) -> Self:
        return cls(event=offer.event, template_id=offer.template_id)


@strawberry.type
class SubscriptionGrant:
    template_id: str
    remaining: int = strawberry.field(description="Messages of this template still allowed.")

    @classmethod
    def of(cls, model: GrantModel) -> Self:
        return cls(template_id=model.template_id, remaining=model.remaining)


@strawberry.type
class SubscriptionGrants:
    grants: list[SubscriptionGrant] = strawberry.field(
        directives=bounded(MAX_TEMPLATES), description="One per template, by template id."
    )


@strawberry.type
class NotificationsRead:
    marked: int


@strawberry.type(description="A rectification opened by a 差评, with its revisit (回访).")
class Rectification:
    id: strawberry.ID
    status: RectificationStatus
    due_date: date | None = strawberry.field(description="Working days from the rating.")
    revisit_note: str
    revisited_at: datetime | None
    _model: strawberry.Private[models.Rectification]

    @classmethod
    def of(cls, model: models.Rectification) -> Self:
        return cls(
            id=strawberry.ID(relay.to_base64("Rectification", model.id)),
            status=model.status,
            due_date=model.due_date,
            revisit_note=model.revisit_note,
            revisited_at=model.revisited_at,
            _model=model,
        )

    @strawberry.field
    async def application(self, info: Info) -> Application | None:
        rows = await reads.readable(info.context.principal, [self._model.application_id])
        return Application.of(rows[0]) if rows else None


@strawberry.type
class RatingLevelCount:
    level: RatingLevel
    count: int


@strawberry.type(description="好差评 statistics of one item (basic code) or one department.")
class RatingSummary:
    key: str = strawberry.field(description="The basic code or the department's credit code.")
    total: int
    average: float = strawberry.field(description="5 very satisfied .. 1 very dissatisfied.")
    levels: list[RatingLevelCount] = strawberry.field(
        directives=bounded(len(RatingLevel)), description="Every level once, best first."
    )


@strawberry.type(description="One day of the working-day calendar (China time).")
class CalendarDay:
    day: date
    is_workday: bool
    note: str
    source: CalendarSource

    @classmethod
    def of(cls, model: CalendarDayModel) -> Self:
        return cls(day=model.day, is_workday=model.is_workday, note=model.note, source=model.source)


@strawberry.type(description="A status change of one application, pushed over WebSocket.")
class ApplicationStatusChange:
    application_id: strawberry.ID
    type: EventType
    status: ApplicationStatus
    at: datetime

    @classmethod
    def of(cls, change: StatusChange) -> Self:
        return cls(
            application_id=strawberry.ID(relay.to_base64("Application", change.application_id)),
            type=change.type,
            status=change.status,
            at=change.at,
        )


# -- inputs


@strawberry.input
class ApplicationFilter:
    status: ApplicationStatus | None = None


@strawberry.input
class SubmitApplicationInput:
    service_code: str = strawberry.field(
        description="Implementation code, or basic code with regionCode."
    )
    region_code: str | None = None
    form: JSON | None = strawberry.field(
        default=None,
        description="Answers to the service's form (its JSON Schema); at most 64 KB, 8 levels.",
    )
    document_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description=(
            "Wallet documents (AVAILABLE, yours) for the guide's materials, matched by kind; at "
            "most 30. Government-issued materials are taken from the wallet automatically."
        ),
    )
    channel: Channel = strawberry.field(
        description="WEB_HALL, MOBILE_APP, MINI_PROGRAM or TV_HALL for a resident's own device."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="At most 128 characters: a retry with the same key and input returns the "
        "same application.",
    )


@strawberry.input
class SupplementApplicationInput:
    application_id: strawberry.ID
    document_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Documents for the materials owed (补正 or 容缺)."
    )
    note: str | None = None


@strawberry.input
class WithdrawApplicationInput:
    application_id: strawberry.ID
    note: str | None = None


@strawberry.input
class RateApplicationInput:
    application_id: strawberry.ID
    level: RatingLevel
    comment: str | None = strawberry.field(default=None, description="At most 200 characters.")


@strawberry.input
class AcceptApplicationInput:
    application_id: strawberry.ID
    note: str | None = None


@strawberry.input
class RejectApplicationInput:
    application_id: strawberry.ID
    reason: str = strawberry.field(description="Required; at most 500 characters.")


@strawberry.input
class RequestSupplementInput:
    application_id: strawberry.ID
    materials: list[int] = strawberry.field(
        default_factory=list,
        description="Positions (ApplicationMaterial.position) of the materials to supply again.",
    )
    note: str = strawberry.field(description="What is missing or wrong (required).")


@strawberry.input
class CompleteTaskInput:
    task_id: strawberry.ID
    outcome: TaskOutcome
    note: str | None = strawberry.field(default=None, description="Required when DENIED.")


@strawberry.input
class IssueResultInput:
    application_id: strawberry.ID
    note: str | None = None


@strawberry.input
class RecordRevisitInput:
    rectification_id: strawberry.ID
    note: str = strawberry.field(description="What was fixed and what the resident said.")


@strawberry.input
class SubscriptionResultInput:
    template_id: str
    result: str = strawberry.field(description='"accept", "reject", "ban" or "filter"')


@strawberry.input
class GrantSubscriptionsInput:
    results: list[SubscriptionResultInput] = strawberry.field(
        description="What wx.requestSubscribeMessage returned; at most 10."
    )


@strawberry.input
class MarkNotificationsReadInput:
    ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="At most 50; null marks every message read."
    )


@strawberry.input
class SetCalendarDayInput:
    day: date
    is_workday: bool
    note: str = ""


# -- errors and results


@strawberry.type
class SubmitApplicationError(UserError):
    code: ApplicationErrorCode
    fields: list[str] = strawberry.field(
        default_factory=list,
        directives=bounded(MAX_ERROR_FIELDS),
        description=f"Every input field at fault, e.g. form.shopName; at most {MAX_ERROR_FIELDS}.",
    )

    @classmethod
    def of(cls, error: ApplicationError) -> Self:  # type: ignore[override]
        return cls(
            code=error.code,  # type: ignore[arg-type]
            message=error.message,
            field=error.field,
            fields=list(error.fields),
        )


@strawberry.type
class SupplementApplicationError(UserError):
    code: ApplicationErrorCode


@strawberry.type
class WithdrawApplicationError(UserError):
    code: ApplicationErrorCode


@strawberry.type
class RateApplicationError(UserError):
    code: ApplicationErrorCode


@strawberry.type
class AcceptApplicationError(UserError):
    code: ApplicationErrorCode


@strawberry.type
class RejectApplicationError(UserError):
    code: ApplicationErrorCode


@strawberry.type
class RequestSupplementError(UserError):
    code: ApplicationErrorCode


@strawberry.type
class CompleteTaskError(UserError):
    code: ApplicationErrorCode


@strawberry.type
class IssueResultError(UserError):
    code: ApplicationErrorCode


@strawberry.type
class RecordRevisitError(UserError):
    code: ApplicationErrorCode


@strawberry.type
class GrantSubscriptionsError(UserError):
    code: NotificationErrorCode


@strawberry.type
class MarkNotificationsReadError(UserError):
    code: NotificationErrorCode


@strawberry.type
class SetCalendarDayError(UserError):
    code: ApplicationErrorCode


SubmitApplicationResult = Annotated[
    Application | SubmitApplicationError, strawberry.union("SubmitApplicationResult")
]
SupplementApplicationResult = Annotated[
    Application | SupplementApplicationError, strawberry.union("SupplementApplicationResult")
]
WithdrawApplicationResult = Annotated[
    Application | WithdrawApplicationError, strawberry.union("WithdrawApplicationResult")
]
RateApplicationResult = Annotated[
    Application | RateApplicationError, strawberry.union("RateApplicationResult")
]
AcceptApplicationResult = Annotated[
    Application | AcceptApplicationError, strawberry.union("AcceptApplicationResult")
]
RejectApplicationResult = Annotated[
    Application | RejectApplicationError, strawberry.union("RejectApplicationResult")
]
RequestSupplementResult = Annotated[
    Application | RequestSupplementError, strawberry.union("RequestSupplementResult")
]
CompleteTaskResult = Annotated[
    ApplicationTask | CompleteTaskError, strawberry.union("CompleteTaskResult")
]
IssueResultResult = Annotated[Application | IssueResultError, strawberry.union("IssueResultResult")]
RecordRevisitResult = Annotated[
    Rectification | RecordRevisitError, strawberry.union("RecordRevisitResult")
]
GrantSubscriptionsResult = Annotated[
    SubscriptionGrants | GrantSubscriptionsError, strawberry.union("GrantSubscriptionsResult")
]
MarkNotificationsReadResult = Annotated[
    NotificationsRead | MarkNotificationsReadError,
    strawberry.union("MarkNotificationsReadResult"),
]
SetCalendarDayResult = Annotated[
    CalendarDay | SetCalendarDayError, strawberry.union("SetCalendarDayResult")
]
