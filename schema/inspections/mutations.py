"""Joint inspection mutations and the query of an application's inspection."""

from __future__ import annotations

from uuid import UUID

import strawberry

from resolvers.applications import inspections
from resolvers.applications.errors import ApplicationError
from resolvers.applications.errors import ApplicationErrorCode as Code
from resolvers.policy import Action
from schema.authorised import authorised
from schema.context import Info
from schema.ids import node_uuid, uuid_of
from schema.inspections.types import (
    Inspection,
    ProposeInspectionInput,
    ProposeInspectionResult,
    RecordInspectionFindingInput,
    RecordInspectionFindingResult,
    RespondToInspectionInput,
    RespondToInspectionResult,
)


def _uuid(global_id: str, type_name: str, field: str) -> UUID:
    return uuid_of(global_id, type_name, field, ApplicationError, Code.NOT_FOUND)


@strawberry.type
class InspectionQuery:
    @strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        description=(
            "The joint inspection (一次踏勘) of an application you may read: its owner and the "
            "departments handling it; otherwise null."
        ),
    )
    async def inspection(self, info: Info, application_id: strawberry.ID) -> Inspection | None:
        found_id = node_uuid(application_id, "Application")
        if found_id is None:
            return None
        found = await inspections.of_application(info.context.principal, found_id)
        return Inspection.of(found) if found else None


@strawberry.type
class InspectionMutation:
    @strawberry.mutation(
        extensions=authorised(Action.INSPECTION_PROPOSE),
        description=(
            "The single window proposes one site-visit slot for every department with a task "
            "on an ACCEPTED application (two or more); again after a decline, every department "
            "answers the new slot."
        ),
    )
    async def propose_inspection(
        self, info: Info, input: ProposeInspectionInput
    ) -> ProposeInspectionResult:
        proposed = await inspections.propose(
            info.context.resources,
            info.context.principal,
            _uuid(input.application_id, "Application", "applicationId"),
            starts_at=input.starts_at,
            ends_at=input.ends_at,
            address=input.address,
        )
        return Inspection.of(proposed)

    @strawberry.mutation(
        extensions=authorised(Action.INSPECTION_RESPOND),
        description=(
            "An inspecting department confirms the slot or declines it with a reason. When all "
            "confirmed, the resident gets one appointment (inbox and WeChat)."
        ),
    )
    async def respond_to_inspection(
        self, info: Info, input: RespondToInspectionInput
    ) -> RespondToInspectionResult:
        answered = await inspections.respond(
            info.context.resources,
            info.context.principal,
            _uuid(input.inspection_id, "Inspection", "inspectionId"),
            input.decision,
            input.reason,
        )
        return Inspection.of(answered)

    @strawberry.mutation(
        extensions=authorised(Action.INSPECTION_RECORD_FINDING),
        description=(
            "An inspecting department records its finding from the scheduled visit (from its "
            "start), once; the last finding completes the inspection."
        ),
    )
    async def record_inspection_finding(
        self, info: Info, input: RecordInspectionFindingInput
    ) -> RecordInspectionFindingResult:
        recorded = await inspections.record_finding(
            info.context.resources,
            info.context.principal,
            _uuid(input.inspection_id, "Inspection", "inspectionId"),
            input.outcome,
            input.finding,
        )
        return Inspection.of(recorded)
