"""The shared steps of every application transition: who the caller is, the application as
the policy sees it, the workflow machine (lock, table, compare-and-set, timeline event), the
owner's messages, and the pushes after commit."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from resolvers import inputs, policy
from resolvers.applications import bundles
from resolvers.applications.errors import ApplicationError
from resolvers.applications.errors import ApplicationErrorCode as Code
from resolvers.applications.events import StatusChange, publish
from resolvers.applications.workflow import (
    APPLICATION_WORKFLOW,
    EVENT_ACTORS,
    STATUS_LABELS,
    Action,
)
from resolvers.exchange import service as exchange_outbound
from resolvers.ids import global_id
from resolvers.notifications.service import enqueue_inbox, enqueue_wechat, wechat_time
from resolvers.payments import service as payments
from resolvers.principal import Principal
from resolvers.resources import Resources
from resolvers.workflow import Machine
from storage.models.applications import (
    FINISHED_STATUSES,
    ActorKind,
    Application,
    ApplicationStatus,
    EventType,
)
from storage.repositories import applications as repo

MAX_NOTE = 500


def acting(principal: Principal) -> UUID:
    """The account taking an action the policy allowed (never anonymous)."""
    assert principal.account_id is not None
    return principal.account_id


def clean_note(note: str | None, field: str = "note", *, required: bool = False) -> str:
    """A note, reason or comment: whitespace folded, at most MAX_NOTE characters."""
    return inputs.clean_text(
        note,
        field,
        error=ApplicationError,
        invalid=Code.INVALID_INPUT,
        longest=MAX_NOTE,
        required=Code.REASON_REQUIRED if required else None,
    )


def global_uuid(global_id: str, type_name: str, field: str) -> UUID:
    """The UUID inside a global id of `type_name`; NOT_FOUND for anything else."""
    return inputs.global_uuid(
        global_id, type_name, field, error=ApplicationError(Code.NOT_FOUND, field)
    )


def subject(application: Application, task_departments: set[UUID]) -> policy.Subject:
    """The application as the policy sees it, with the departments that hold a task on it."""
    return policy.Subject(
        owner_id=application.owner_id,
        department_id=application.department_id,
        departments=frozenset(task_departments),
        region_id=application.region_id,
    )


async def subject_of(principal: Principal, application: Application) -> policy.Subject:
    """The application as the policy sees it. The departments with a task on it are read
    only when they can matter: for an officer of another department than the single window."""
    departments: set[UUID] = set()
    if principal.is_staff and principal.department_id not in (None, application.department_id):
        departments = {t.department_id for t in await repo.tasks_of([application.id])}
    return subject(application, departments)


async def authorize(
    resources: Resources,
    principal: Principal,
    action: policy.Action,
    application: Application | None,
) -> None:
    """The policy's answer for `action` on the application; NOT_FOUND for a caller who may
    not even read it (another department never learns that it exists)."""
    found = await subject_of(principal, application) if application is not None else None
    await policy.authorize_seen(
        resources,
        principal,
        action,
        found,
        seen_by=policy.Action.APPLICATION_READ,
        hidden=ApplicationError(Code.NOT_FOUND, "applicationId"),
        field="applicationId",
    )


def not_a_bundle(application: Application) -> None:
    if application.implementation_id is None:
        # A scenario bundle's parent follows its children; one acts on those.
        raise ApplicationError(Code.BUNDLE_PARENT, "applicationId")


async def record(
    application: Application,
    type: EventType,
    status: ApplicationStatus,
    *,
    at: datetime,
    actor_id: UUID | None,
    note: str = "",
    task_id: UUID | None = None,
    department_id: UUID | None = None,
) -> None:
    """The timeline event, with who took the step (EVENT_ACTORS) and the department it was
    taken for: the single window's steps are the application's department's, a department's
    steps name `department_id`. The province gets every step, written with it (a no-op for
    events it does not get)."""
    kind = EVENT_ACTORS[type]
    if kind is ActorKind.WINDOW:
        department_id = application.department_id
    elif kind is not ActorKind.DEPARTMENT:
        department_id = None
    event = await repo.add_event(
        application_id=application.id,
        type=type,
        status=status,
        at=at,
        actor_id=actor_id,
        actor_kind=kind,
        department_id=department_id,
        note=note,
        task_id=task_id,
    )
    await exchange_outbound.enqueue_for(event)


APPLICATIONS: Machine[Application, ApplicationStatus, Action, EventType] = Machine(
    APPLICATION_WORKFLOW,
    lock=repo.lock,
    compare_and_set=repo.move,
    record=record,
    authorize=authorize,
    not_found=Code.NOT_FOUND,
    conflict=Code.CONFLICT,
    guard=not_a_bundle,
)


def resume_of(application: Application) -> ApplicationStatus | None:
    """Where the application goes back to after 补正."""
    resume: ApplicationStatus | None = application.resume_status
    return resume


async def notify_owner(
    application: Application,
    status: ApplicationStatus,
    *,
    at: datetime,
    extra: str = "",
    service_name: str | None = None,
) -> str:
    """Inside the transaction: the owner's inbox always, WeChat when they granted it. An item
    of a scenario bundle messages WeChat only when the resident must act (补正): the bundle
    sends one message for all of its items when they are finished. Returns the item's name.
    `service_name`: the item's name when the caller has its row at hand (else it is read)."""
    name = service_name
    if name is None:
        implementation = (
            await repo.implementation(application.implementation_id)
            if application.implementation_id
            else None
        )
        name = implementation.name if implementation else "政务服务事项"
    label = STATUS_LABELS[status]
    body = f"您申请的“{name}”（{application.number}）{label}。{extra}".strip()
    await enqueue_inbox(
        key=str(application.id),
        now=at,
        topic="APPLICATION_STATUS",
        title=f"办件{label}",
        body=body[:200],
        subject_id=application.id,
        account_ids=[application.owner_id],
    )
    if application.parent_id is not None and status is not ApplicationStatus.SUPPLEMENT_REQUESTED:
        return name
    final = status in FINISHED_STATUSES
    await enqueue_wechat(
        key=str(application.id),
        now=at,
        account_id=application.owner_id,
        event="APPLICATION_RESULT" if final else "APPLICATION_STATUS",
        values={
            "number": application.number,
            "service": name,
            "status": label,
            "time": wechat_time(at),
        },
        page=f"pages/applications/detail?id={global_id('Application', application.id)}",
    )
    return name


async def announce(
    application: Application, status: ApplicationStatus, *, at: datetime, extra: str = ""
) -> StatusChange | None:
    """Inside a transition's transaction, once the application moved to `status`: tells the
    owner, and moves the bundle's parent when it is an item of a scenario bundle."""
    name = await notify_owner(application, status, at=at, extra=extra)
    await _follow_fee(application, status, at=at)
    if application.parent_id is None:
        return None
    return await bundles.follow(
        application.parent_id,
        application.id,
        status,
        f"“{name}”{STATUS_LABELS[status]}",
        at=at,
    )


# Where the fee follows the application: payable once its charging step is reached,
# cancelled or refunded when the application ends without its result.
_FEE_STAGES = {
    ApplicationStatus.ACCEPTED: payments.ChargeStage.AFTER_ACCEPTANCE,
    ApplicationStatus.APPROVED: payments.ChargeStage.BEFORE_RESULT,
}
_FEE_ENDS = {
    ApplicationStatus.WITHDRAWN: "申请已撤回",
    ApplicationStatus.NOT_ACCEPTED: "申请不予受理",
    ApplicationStatus.DENIED: "申请未获批准",
}


async def _follow_fee(application: Application, status: ApplicationStatus, *, at: datetime) -> None:
    if status in _FEE_STAGES:
        await payments.reached(application.id, _FEE_STAGES[status], now=at)
    elif status in _FEE_ENDS:
        await payments.ended(application.id, now=at, reason=_FEE_ENDS[status])


async def after(
    resources: Resources,
    application_id: UUID,
    event: EventType,
    status: ApplicationStatus,
    at: datetime,
    parent: StatusChange | None = None,
) -> Application:
    """After commit: the pushes to the owner's app (the bundle's too), and the fresh row."""
    await publish(resources, StatusChange(application_id, event, status, at))
    if parent is not None:
        await publish(resources, parent)
    application = await repo.by_id(application_id)
    assert application is not None
    return application
