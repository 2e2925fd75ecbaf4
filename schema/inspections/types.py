"""Types, inputs, errors and result unions of joint inspections (一次(集中)踏勘)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self
from uuid import UUID

import strawberry

from resolvers.applications.errors import ApplicationErrorCode
from resolvers.applications.inspections import Decision
from resolvers.applications.service import MAX_TASKS
from resolvers.ids import global_id
from schema.applications.types import Application as _Registered  # noqa: F401 (its enums)
from schema.catalogue.types import Department
from schema.context import Info
from schema.cost import bounded
from schema.errors import UserError
from schema.pagination import ListLimit
from storage.models import inspections as models
from storage.models.inspections import (
    FindingOutcome,
    InspectionEventType,
    InspectionResponse,
    InspectionStatus,
)

strawberry.enum(
    InspectionStatus,
    description=(
        "PROPOSED: a slot waits for every department; DECLINED: one declined, the lead "
        "proposes again; SCHEDULED: all confirmed, the resident has one appointment; "
        "COMPLETED: every department recorded its finding."
    ),
)
strawberry.enum(InspectionResponse)
strawberry.enum(FindingOutcome, description="PASSED: the site meets the department's conditions.")
strawberry.enum(InspectionEventType)
strawberry.enum(Decision, name="InspectionDecision")

# A proposal, each department's answer and finding, and a few re-proposals after declines.
STEPS = ListLimit(default=100, cap=100)


async def _department(info: Info, department_id: UUID) -> Department | None:
    row = await info.context.loaders.department.load(department_id)
    return Department.of(row) if row else None


@strawberry.type(description="One department's part in the visit.")
class InspectionParticipant:
    response: InspectionResponse
    reason: str = strawberry.field(description="Why it declined the slot.")
    outcome: FindingOutcome | None
    finding: str
    recorded_at: datetime | None
    _row: strawberry.Private[models.InspectionParticipant]

    @classmethod
    def of(cls, row: models.InspectionParticipant) -> Self:
        return cls(
            response=row.response,
            reason=row.reason,
            outcome=row.outcome,
            finding=row.finding,
            recorded_at=row.recorded_at,
            _row=row,
        )

    @strawberry.field
    async def department(self, info: Info) -> Department | None:
        return await _department(info, self._row.department_id)


@strawberry.type(description="A step on the inspection's timeline.")
class InspectionStep:
    type: InspectionEventType
    at: datetime
    round: int = strawberry.field(description="Which proposal it belongs to (1, 2, ...).")
    note: str
    _row: strawberry.Private[models.InspectionEvent]

    @classmethod
    def of(cls, row: models.InspectionEvent) -> Self:
        return cls(type=row.type, at=row.at, round=row.round, note=row.note, _row=row)

    @strawberry.field(description="The department the step was taken for; null: the platform.")
    async def department(self, info: Info) -> Department | None:
        if self._row.department_id is None:
            return None
        return await _department(info, self._row.department_id)


@strawberry.type(
    description=(
        "一次(集中)踏勘: one visit of every department inspecting the application's site, at "
        "the slot the lead department proposed and all confirmed."
    )
)
class Inspection:
    id: strawberry.ID
    application_id: strawberry.ID
    status: InspectionStatus
    round: int = strawberry.field(description="How many slots the lead proposed.")
    starts_at: datetime
    ends_at: datetime
    address: str
    scheduled_at: datetime | None
    completed_at: datetime | None
    _model: strawberry.Private[models.Inspection]

    @classmethod
    def of(cls, row: models.Inspection) -> Self:
        return cls(
            id=strawberry.ID(global_id("Inspection", row.id)),
            application_id=strawberry.ID(global_id("Application", row.application_id)),
            status=row.status,
            round=row.round,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            address=row.address,
            scheduled_at=row.scheduled_at,
            completed_at=row.completed_at,
            _model=row,
        )

    @strawberry.field(
        directives=bounded(MAX_TASKS),
        description=f"Every inspecting department (the application's tasks'); at most {MAX_TASKS}.",
    )
    async def participants(self, info: Info) -> list[InspectionParticipant]:
        rows = await info.context.loaders.inspection_participants.load(self._model.id)
        return [InspectionParticipant.of(row) for row in rows]

    @strawberry.field(
        directives=STEPS.directives, description=STEPS.describe("The timeline, oldest first.")
    )
    async def events(self, info: Info, first: int | None = STEPS.default) -> list[InspectionStep]:
        size = STEPS.size(first)
        rows = await info.context.loaders.inspection_events.load(self._model.id)
        return [InspectionStep.of(row) for row in rows[:size]]


@strawberry.input
class ProposeInspectionInput:
    application_id: strawberry.ID
    starts_at: datetime = strawberry.field(description="With a time zone; within 60 days.")
    ends_at: datetime = strawberry.field(description="After startsAt, at most 8 hours later.")
    address: str = strawberry.field(description="Where: the site; at most 200 characters.")


@strawberry.input
class RespondToInspectionInput:
    inspection_id: strawberry.ID
    decision: Decision
    reason: str | None = strawberry.field(
        default=None, description="Required to DECLINE: why the slot does not suit."
    )


@strawberry.input
class RecordInspectionFindingInput:
    inspection_id: strawberry.ID
    outcome: FindingOutcome
    finding: str = strawberry.field(description="What the department found; at most 500.")


@strawberry.type
class ProposeInspectionError(UserError):
    code: ApplicationErrorCode


@strawberry.type
class RespondToInspectionError(UserError):
    code: ApplicationErrorCode


@strawberry.type
class RecordInspectionFindingError(UserError):
    code: ApplicationErrorCode


ProposeInspectionResult = Annotated[
    Inspection | ProposeInspectionError, strawberry.union("ProposeInspectionResult")
]
RespondToInspectionResult = Annotated[
    Inspection | RespondToInspectionError, strawberry.union("RespondToInspectionResult")
]
RecordInspectionFindingResult = Annotated[
    Inspection | RecordInspectionFindingError, strawberry.union("RecordInspectionFindingResult")
]
