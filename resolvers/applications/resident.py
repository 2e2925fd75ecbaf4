"""The resident's actions on a submitted application besides rating it: withdrawal, and
supplying what 补正 asked for (or 容缺 materials owed) while it is handled."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from resolvers import policy
from resolvers.applications import deadlines
from resolvers.applications.errors import ApplicationError
from resolvers.applications.errors import ApplicationErrorCode as Code
from resolvers.applications.events import StatusChange, publish
from resolvers.applications.submission import Plan, chosen_documents, plan_materials
from resolvers.applications.transitions import (
    APPLICATIONS,
    acting,
    after,
    announce,
    authorize,
    clean_note,
    resume_of,
)
from resolvers.applications.workflow import Action
from resolvers.calendar.service import china_date, working_days_between
from resolvers.principal import Principal
from resolvers.resources import Resources
from storage.models.applications import (
    FINISHED_STATUSES,
    Application,
    ApplicationStatus,
    MaterialState,
)
from storage.models.catalogue import Material
from storage.repositories import applications as repo
from storage.transactions import atomic


async def withdraw(
    resources: Resources, principal: Principal, application_id: UUID, note: str | None
) -> Application:
    """Withdraws an application before it is accepted; a bundle's parent withdraws all of
    its items that are still open, in one step, or none of them."""
    peek = await repo.by_id(application_id)
    if peek is not None and peek.implementation_id is None:
        return await _withdraw_bundle(resources, principal, application_id, note)
    now = resources.clock()
    moved, parent = await _withdraw_one(resources, principal, application_id, clean_note(note), now)
    return await after(resources, application_id, moved.event, moved.target, now, parent)


async def _withdraw_one(
    resources: Resources, principal: Principal, application_id: UUID, text: str, now: datetime
) -> tuple[Any, StatusChange | None]:
    """The move of one application by its table: the moved row, and its bundle's change."""

    async def tell(moved: Any) -> StatusChange | None:
        return await announce(moved.row, moved.target, at=now)

    return await APPLICATIONS.run(
        resources,
        principal,
        application_id,
        Action.WITHDRAW,
        at=now,
        note=text,
        resume_of=resume_of,
        changes={"finished_at": now, "resume_status": None, "stopped_on": None},
        outbox=tell,
        field="applicationId",
    )


async def _withdraw_bundle(
    resources: Resources, principal: Principal, parent_id: UUID, note: str | None
) -> Application:
    """Every open item of the bundle, each by its own table (so an item already accepted
    refuses, and with it the whole step: INVALID_STATE, nothing withdrawn); the parent
    follows its items as always, and the resident hears once, from the bundle."""
    text = clean_note(note)
    now = resources.clock()
    changes: list[StatusChange] = []
    async with atomic():
        parent = await repo.lock(parent_id)
        await authorize(resources, principal, policy.Action.APPLICATION_WITHDRAW, parent)
        assert parent is not None
        open_items = [
            child_id
            for child_id, status in await repo.children_statuses(parent.id)
            if status not in FINISHED_STATUSES and status is not ApplicationStatus.WITHDRAWN
        ]
        if not open_items:
            raise ApplicationError(Code.INVALID_STATE, "applicationId")
        for child_id in sorted(open_items, key=str):
            moved, parent_change = await _withdraw_one(resources, principal, child_id, text, now)
            changes.append(StatusChange(child_id, moved.event, moved.target, now))
            if parent_change is not None:
                changes.append(parent_change)
    for change in changes:
        await publish(resources, change)
    withdrawn = await repo.by_id(parent_id)
    assert withdrawn is not None
    return withdrawn


async def supplement(
    resources: Resources,
    principal: Principal,
    application_id: UUID,
    document_ids: Sequence[str],
    note: str | None,
) -> Application:
    """The resident supplies what 补正 asked for (and 容缺 materials owed): after 补正 the
    clock restarts and every open due date moves by the working days it stood still; 容缺
    materials handed in while it is handled leave the status as it is."""
    text = clean_note(note)
    now = resources.clock()
    today = china_date(now)
    preview = await repo.readable_one(principal, application_id)
    await authorize(resources, principal, policy.Action.APPLICATION_SUPPLEMENT, preview)
    assert preview is not None
    actor_id = acting(principal)
    owed = await repo.owed_materials(application_id)
    materials = [
        Material(
            position=m.position,
            name=m.name,
            # 补正 asked again for a required material; 容缺 ones may stay owed.
            necessity=m.necessity,
            source=m.source,
            document_kind=m.document_kind,
        )
        for m in owed
    ]
    if document_ids and not owed:
        raise ApplicationError(Code.NOTHING_OWED, "documentIds")
    plan = (
        await plan_materials(
            actor_id,
            materials,
            await chosen_documents(
                actor_id, document_ids, resources.settings.application_max_documents
            ),
        )
        if document_ids or preview.status is ApplicationStatus.SUPPLEMENT_REQUESTED
        else Plan([])
    )

    async def attach(application: Application) -> dict[str, Any] | None:
        supplied = 0
        # No documents sent (plan.rows empty): nothing to attach, whatever is owed.
        for (_, document, _state), row in zip(plan.rows, owed if plan.rows else [], strict=True):
            if document is not None:
                await repo.attach_document(row.id, document.id, MaterialState.PROVIDED)
                supplied += 1
        if application.status is not ApplicationStatus.SUPPLEMENT_REQUESTED:
            # 容缺后补 while being handled: the status stays, the timeline records it.
            if not supplied:
                raise ApplicationError(Code.NOTHING_OWED, "documentIds")
            return None
        resume = application.resume_status
        assert application.stopped_on is not None
        assert resume is not None
        stopped = application.stopped_working_days + await working_days_between(
            application.stopped_on, today
        )
        changes: dict[str, Any] = {
            "stopped_working_days": stopped,
            "stopped_on": None,
            "resume_status": None,
        }
        changes.update(await _due_dates(resources, application, resume, stopped))
        return changes

    async def tell(moved: Any) -> StatusChange | None:
        if moved.source is moved.target:
            return None  # 容缺后补: nothing new to tell
        return await announce(moved.row, moved.target, at=now)

    moved, parent = await APPLICATIONS.run(
        resources,
        principal,
        application_id,
        Action.SUPPLEMENT,
        at=now,
        note=text,
        resume_of=resume_of,
        prepare=attach,
        outbox=tell,
    )
    return await after(resources, application_id, moved.event, moved.target, now, parent)


async def _due_dates(
    resources: Resources, application: Application, status: ApplicationStatus, stopped: int
) -> dict[str, Any]:
    """Due dates after the clock stood still for `stopped` working days in all; open tasks
    move with the application."""
    if status is ApplicationStatus.SUBMITTED:
        found = await deadlines.acceptance_due(
            china_date(application.submitted_at),
            resources.settings.application_acceptance_days,
            stopped,
        )
        return found.columns("acceptance_due_date")
    implementation = await repo.implementation(application.implementation_id)
    assert implementation is not None
    assert application.accepted_on is not None
    found = await deadlines.completion_due(
        application.accepted_on, deadlines.promised_days(implementation), stopped
    )
    for task in await repo.pending_tasks(application.id):
        await repo.set_task_due(task.id, found.due)
    return found.columns("due_date")
