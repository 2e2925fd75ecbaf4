"""The resident's actions on a submitted application besides rating it: withdrawal, and
supplying what 补正 asked for (or 容缺 materials owed) while it is handled."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from resolvers import policy
from resolvers.applications import deadlines
from resolvers.applications.errors import ApplicationError
from resolvers.applications.errors import ApplicationErrorCode as Code
from resolvers.applications.events import StatusChange
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
from storage.models.applications import Application, ApplicationStatus, MaterialState
from storage.models.catalogue import Material
from storage.repositories import applications as repo


async def withdraw(
    resources: Resources, principal: Principal, application_id: UUID, note: str | None
) -> Application:
    text = clean_note(note)
    now = resources.clock()

    async def tell(moved: Any) -> StatusChange | None:
        return await announce(moved.row, moved.target, at=now)

    moved, parent = await APPLICATIONS.run(
        resources,
        principal,
        application_id,
        Action.WITHDRAW,
        at=now,
        note=text,
        resume_of=resume_of,
        changes={"finished_at": now, "resume_status": None, "stopped_on": None},
        outbox=tell,
    )
    return await after(resources, application_id, moved.event, moved.target, now, parent)


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
        return {"acceptance_due_date": found.due, "due_beyond_calendar": found.beyond_calendar}
    implementation = await repo.implementation(application.implementation_id)
    assert implementation is not None
    assert application.accepted_on is not None
    found = await deadlines.completion_due(
        application.accepted_on, deadlines.promised_days(implementation), stopped
    )
    for task in await repo.pending_tasks(application.id):
        await repo.set_task_due(task.id, found.due)
    return {"due_date": found.due, "due_beyond_calendar": found.beyond_calendar}
