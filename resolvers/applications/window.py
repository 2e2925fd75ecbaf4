"""The single window (综合窗口): acceptance with its parallel department tasks, refusal, and
补正 requests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from resolvers.applications import deadlines
from resolvers.applications.errors import ApplicationError
from resolvers.applications.errors import ApplicationErrorCode as Code
from resolvers.applications.events import StatusChange
from resolvers.applications.transitions import APPLICATIONS, after, announce, clean_note
from resolvers.applications.workflow import Action
from resolvers.calendar.service import china_date
from resolvers.catalogue.service import MAX_COOPERATING_DEPARTMENTS
from resolvers.payments import service as payments
from resolvers.principal import Principal
from resolvers.resources import Resources
from storage.models.applications import Application
from storage.models.catalogue import MaterialSource
from storage.repositories import applications as repo

# Acceptance makes one task for the lead department and one per cooperating department.
MAX_TASKS = 1 + MAX_COOPERATING_DEPARTMENTS


async def accept(
    resources: Resources, principal: Principal, application_id: UUID, note: str | None
) -> Application:
    """受理: one task for the implementation's department and one for each cooperating
    department, handled in parallel, each due `promisedDays` working days from today."""
    text = clean_note(note)
    now = resources.clock()
    today = china_date(now)

    async def open_tasks(application: Application) -> dict[str, Any]:
        if await payments.holds(application.id, payments.Step.ACCEPTANCE):
            raise ApplicationError(Code.PAYMENT_DUE, "applicationId")
        implementation = await repo.implementation(application.implementation_id)
        assert implementation is not None
        starts = await deadlines.clock_starts(application, today)
        due = await deadlines.completion_due(starts, deadlines.promised_days(implementation), 0)
        cooperating = await repo.departments_by_codes(
            list(implementation.cooperating_departments), excluding=application.department_id
        )
        for department_id, lead in [
            (application.department_id, True),
            *[(d.id, False) for d in sorted(cooperating, key=lambda d: d.code)],
        ]:
            await repo.add_task(
                application_id=application.id,
                department_id=department_id,
                lead=lead,
                due_date=due.due,
            )
        return {"accepted_on": starts, "stopped_working_days": 0, **due.columns("due_date")}

    async def tell(moved: Any) -> StatusChange | None:
        return await announce(moved.row, moved.target, at=now)

    moved, parent = await APPLICATIONS.run(
        resources,
        principal,
        application_id,
        Action.ACCEPT,
        at=now,
        note=text,
        prepare=open_tasks,
        outbox=tell,
    )
    return await after(resources, application_id, moved.event, moved.target, now, parent)


async def reject(
    resources: Resources, principal: Principal, application_id: UUID, reason: str | None
) -> Application:
    text = clean_note(reason, "reason", required=True)
    now = resources.clock()

    async def tell(moved: Any) -> StatusChange | None:
        return await announce(moved.row, moved.target, at=now, extra=f"原因：{text}")

    moved, parent = await APPLICATIONS.run(
        resources,
        principal,
        application_id,
        Action.REJECT,
        at=now,
        note=text,
        changes={"reason": text, "finished_at": now},
        outbox=tell,
    )
    return await after(resources, application_id, moved.event, moved.target, now, parent)


async def request_supplement(
    resources: Resources,
    principal: Principal,
    application_id: UUID,
    positions: Sequence[int],
    note: str | None,
) -> Application:
    """补正: the materials at `positions` (of the guide) are asked again, with a note saying
    what is wrong. The clock stops until the resident supplements."""
    text = clean_note(note, required=True)
    if len(positions) > 50 or len(set(positions)) != len(positions):
        raise ApplicationError(Code.INVALID_INPUT, "materials")
    now = resources.clock()

    async def ask_again(application: Application) -> dict[str, Any]:
        rows = {m.position: m for m in await repo.materials_of([application.id])}
        for index, position in enumerate(positions):
            material = rows.get(position)
            if material is None or material.source is MaterialSource.GOVERNMENT:
                raise ApplicationError(Code.INVALID_INPUT, f"materials[{index}]")
            await repo.owe_material(material.id)
        # Where it goes back to once supplied.
        return {"resume_status": application.status, "stopped_on": china_date(now)}

    async def tell(moved: Any) -> StatusChange | None:
        return await announce(moved.row, moved.target, at=now, extra=f"补正要求：{text}")

    moved, parent = await APPLICATIONS.run(
        resources,
        principal,
        application_id,
        Action.REQUEST_SUPPLEMENT,
        at=now,
        note=text,
        prepare=ask_again,
        outbox=tell,
    )
    return await after(resources, application_id, moved.event, moved.target, now, parent)
