"""Queries on joint inspections, their departments' parts and their timeline (the only place
they are written). Who may read one is decided by its application (applications.readable_by)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from storage.models.inspections import Inspection, InspectionEvent, InspectionParticipant


async def of_application(application_id: UUID) -> Inspection | None:
    return await Inspection.get_or_none(application_id=application_id)


async def by_id(inspection_id: UUID) -> Inspection | None:
    return await Inspection.get_or_none(id=inspection_id)


async def lock(inspection_id: UUID) -> Inspection | None:
    return await Inspection.filter(id=inspection_id).select_for_update().first()


async def lock_of_application(application_id: UUID) -> Inspection | None:
    return await Inspection.filter(application_id=application_id).select_for_update().first()


async def create(**fields: Any) -> Inspection:
    return await Inspection.create(**fields)


async def update(inspection_id: UUID, **changes: Any) -> None:
    await Inspection.filter(id=inspection_id).update(**changes)


async def participants(inspection_id: UUID) -> list[InspectionParticipant]:
    return await InspectionParticipant.filter(inspection_id=inspection_id).order_by("id")


async def participants_of(inspection_ids: Sequence[UUID]) -> list[InspectionParticipant]:
    if not inspection_ids:
        return []
    return await InspectionParticipant.filter(inspection_id__in=list(inspection_ids)).order_by(
        "inspection_id", "id"
    )


async def add_participant(**fields: Any) -> InspectionParticipant:
    return await InspectionParticipant.create(**fields)


async def update_participant(participant_id: UUID, **changes: Any) -> None:
    await InspectionParticipant.filter(id=participant_id).update(**changes)


async def reset_responses(inspection_id: UUID) -> None:
    """A new slot: every department answers again."""
    await InspectionParticipant.filter(inspection_id=inspection_id).update(
        response="PENDING", reason="", responded_by_id=None, responded_at=None
    )


async def add_event(**fields: Any) -> InspectionEvent:
    return await InspectionEvent.create(**fields)


async def events_of(inspection_ids: Sequence[UUID]) -> list[InspectionEvent]:
    if not inspection_ids:
        return []
    return await InspectionEvent.filter(inspection_id__in=list(inspection_ids)).order_by(
        "inspection_id", "seq"
    )
