"""The departments' part: deciding their tasks (all approved: APPROVED; one denied: DENIED),
issuing the result (办结) and progress notes from their own systems."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from resolvers import policy
from resolvers.applications.errors import ApplicationError
from resolvers.applications.errors import ApplicationErrorCode as Code
from resolvers.applications.events import StatusChange, publish
from resolvers.applications.transitions import (
    APPLICATIONS,
    acting,
    after,
    announce,
    authorize,
    clean_note,
    record,
)
from resolvers.applications.workflow import APPLICATION_WORKFLOW, Action
from resolvers.calendar.service import china_date
from resolvers.documents.errors import DocumentError
from resolvers.documents.service import issue_document
from resolvers.payments import service as payments
from resolvers.principal import Principal
from resolvers.resources import Resources
from storage.models.applications import (
    Application,
    ApplicationStatus,
    ApplicationTask,
    EventType,
    TaskStatus,
)
from storage.models.documents import Document, DocumentKind
from storage.repositories import applications as repo
from storage.transactions import atomic

log = logging.getLogger(__name__)


async def complete_task(
    resources: Resources,
    principal: Principal,
    task_id: UUID,
    outcome: TaskStatus,
    note: str | None,
) -> ApplicationTask:
    """A department decides its part. All approved: APPROVED; any denied: DENIED (the other
    tasks are cancelled). Two officers at once: one wins, the other gets TASK_ALREADY_DONE."""
    if outcome not in (TaskStatus.APPROVED, TaskStatus.DENIED):
        raise ApplicationError(Code.INVALID_INPUT, "outcome")
    text = clean_note(note, required=outcome is TaskStatus.DENIED)
    now = resources.clock()
    preview = await repo.task(task_id)
    # A task is seen only by its own department: anyone else is told it does not exist.
    await policy.authorize_seen(
        resources,
        principal,
        policy.Action.APPLICATION_COMPLETE_TASK,
        policy.Subject(department_id=preview.department_id) if preview else None,
        seen_by=policy.Action.APPLICATION_COMPLETE_TASK,
        hidden=ApplicationError(Code.NOT_FOUND, "taskId"),
        field="taskId",
    )
    assert preview is not None
    actor_id = acting(principal)
    moved = None
    parent: StatusChange | None = None
    async with atomic():
        # The application first: parallel tasks of one application finish one at a time,
        # so exactly one of them sees that it was the last.
        application = await repo.lock(preview.application_id)
        task = await repo.lock_task(task_id)
        assert application is not None
        assert task is not None
        if task.status is not TaskStatus.PENDING:
            raise ApplicationError(Code.TASK_ALREADY_DONE, "taskId")
        if application.status is not ApplicationStatus.ACCEPTED:
            raise ApplicationError(Code.INVALID_STATE, "taskId")
        if not await repo.finish_task(
            task.id, status=outcome, acted_by_id=actor_id, acted_at=now, note=text
        ):
            raise ApplicationError(Code.TASK_ALREADY_DONE, "taskId")
        await record(
            application,
            EventType.TASK_APPROVED if outcome is TaskStatus.APPROVED else EventType.TASK_DENIED,
            application.status,
            at=now,
            actor_id=actor_id,
            note=text,
            task_id=task.id,
            department_id=task.department_id,
        )
        # The application's own move follows from the tasks: the system's event, no actor.
        by = policy.Action.APPLICATION_COMPLETE_TASK
        if outcome is TaskStatus.DENIED:
            await repo.cancel_pending_tasks(application.id)
            moved = await APPLICATIONS.apply(
                application,
                Action.DENY,
                by=by,
                at=now,
                actor_id=None,
                changes={"reason": text, "finished_at": now},
            )
        elif not await repo.pending_tasks(application.id):
            moved = await APPLICATIONS.apply(
                application, Action.APPROVE, by=by, at=now, actor_id=None
            )
        if moved is not None:
            extra = f"原因：{text}" if moved.target is ApplicationStatus.DENIED else ""
            parent = await announce(application, moved.target, at=now, extra=extra)
    if moved is not None:
        await publish(resources, StatusChange(application.id, moved.event, moved.target, now))
    if parent is not None:
        await publish(resources, parent)
    done = await repo.task(task_id)
    assert done is not None
    return done


def _result_pdf(number: str, name: str, issued: date) -> bytes:
    """A minimal PDF standing in for the department's signed result (证照/批文)."""
    text = f"Rongban result {number} {issued.isoformat()}".encode()
    body = (
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n% " + text + b"\ntrailer<</Root 1 0 R>>\n"
    )
    return body + b"%%EOF\n"


@dataclass(frozen=True, slots=True)
class ResultFile:
    """The result as the department's own system made it (a signed 证照/批文)."""

    file_name: str
    content_type: str
    data: bytes


async def issue_result(
    resources: Resources,
    principal: Principal,
    application_id: UUID,
    note: str | None,
    result_file: ResultFile | None = None,
) -> Application:
    """办结: the result goes into the resident's wallet at trust level A, then COMPLETED.
    Without `result_file` the platform issues a minimal PDF standing in for it."""
    text = clean_note(note)
    preview = await repo.readable_one(principal, application_id)
    await authorize(resources, principal, policy.Action.APPLICATION_ISSUE_RESULT, preview)
    assert preview is not None
    acting(principal)
    APPLICATION_WORKFLOW.rule(preview.status, Action.ISSUE_RESULT)
    # Checked before the result is stored, and again under the lock.
    if await payments.holds(preview.id, payments.Step.RESULT):
        raise ApplicationError(Code.PAYMENT_DUE, "applicationId")
    implementation = await repo.implementation(preview.implementation_id)
    assert implementation is not None
    assert preview.department_id is not None  # an item's application, not a bundle's parent
    now = resources.clock()
    # The file is stored before the transaction (no object-store I/O while rows are locked);
    # if the transition then fails, it is removed again.
    try:
        document = await issue_document(
            resources,
            owner_id=preview.owner_id,
            issuer_id=preview.department_id,
            file_name=(
                result_file.file_name
                if result_file
                else f"{implementation.result_name or implementation.name}-{preview.number}.pdf"
            ),
            content_type=result_file.content_type if result_file else "application/pdf",
            data=(
                result_file.data
                if result_file
                else _result_pdf(preview.number, implementation.name, china_date(now))
            ),
            kind=DocumentKind.CERTIFICATE,
        )
    except DocumentError as exc:  # the cause says why (a department system is told)
        raise ApplicationError(Code.RESULT_UNAVAILABLE) from exc

    async def tell(moved: Any) -> StatusChange | None:
        return await announce(moved.row, moved.target, at=now, extra="结果已存入您的材料库。")

    async def paid(application: Application) -> None:
        if await payments.holds(application.id, payments.Step.RESULT):
            raise ApplicationError(Code.PAYMENT_DUE, "applicationId")

    try:
        moved, parent = await APPLICATIONS.run(
            resources,
            principal,
            application_id,
            Action.ISSUE_RESULT,
            at=now,
            note=text,
            changes={"result_document_id": document.id, "finished_at": now},
            prepare=paid,
            outbox=tell,
        )
    except BaseException:
        await _discard(resources, document)
        raise
    return await after(resources, application_id, moved.event, moved.target, now, parent)


async def record_progress(
    resources: Resources, principal: Principal, application_id: UUID, note: str | None
) -> Application:
    """A handling department's progress note (sent by its own business system): an event on
    the timeline, pushed to the province like every step; the status does not change and
    the resident is not messaged."""
    text = clean_note(note, required=True)
    now = resources.clock()
    async with atomic():
        application = await APPLICATIONS.lock(resources, principal, application_id, Action.PROGRESS)
        actor_id, department_id = acting(principal), principal.department_id
        APPLICATION_WORKFLOW.rule(application.status, Action.PROGRESS)
        tasks = await repo.tasks_of([application.id])
        own = next((t for t in tasks if t.department_id == department_id), None)
        await APPLICATIONS.apply(
            application,
            Action.PROGRESS,
            by=policy.Action.APPLICATION_RECORD_PROGRESS,
            at=now,
            actor_id=actor_id,
            note=text,
            task_id=own.id if own else None,
            department_id=department_id,
        )
    found = await repo.by_id(application.id)
    assert found is not None
    return found


async def _discard(resources: Resources, document: Document) -> None:
    try:
        await resources.objects.remove(document.object_key)
        await repo.delete_document(document.id)
    except Exception:  # the sweep of orphans is a later concern; log and go on
        log.exception("could not discard an unused result document")
