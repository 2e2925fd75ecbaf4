"""一次(集中)踏勘: one site visit for all the departments that must inspect an application's
site. The lead department proposes a slot, each department confirms or declines (with a
reason, and the lead proposes again), the resident gets one appointment, and each department
records its finding from the same visit."""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID

from tortoise import fields
from tortoise.models import Model

from storage.models.outbox import next_seq


class InspectionStatus(StrEnum):
    PROPOSED = "PROPOSED"  # a slot waits for every department's answer
    DECLINED = "DECLINED"  # a department declined: the lead proposes another slot
    SCHEDULED = "SCHEDULED"  # every department confirmed: the resident has the appointment
    COMPLETED = "COMPLETED"  # every department recorded its finding


class InspectionResponse(StrEnum):
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    DECLINED = "DECLINED"


class FindingOutcome(StrEnum):
    PASSED = "PASSED"  # the site meets the department's conditions
    FAILED = "FAILED"  # it does not (the finding says why)


class InspectionEventType(StrEnum):
    PROPOSED = "PROPOSED"
    CONFIRMED = "CONFIRMED"
    DECLINED = "DECLINED"
    SCHEDULED = "SCHEDULED"
    FINDING_RECORDED = "FINDING_RECORDED"
    COMPLETED = "COMPLETED"


class Inspection(Model):
    """The joint inspection of one application (one at a time). `round` counts proposals."""

    id = fields.UUIDField(primary_key=True)
    application: fields.ForeignKeyRelation[Model] = fields.ForeignKeyField(
        "models.Application", related_name="inspections", on_delete=fields.CASCADE, unique=True
    )
    application_id: UUID
    lead_department_id = fields.UUIDField()
    status = fields.CharEnumField(InspectionStatus, max_length=12)
    round = fields.IntField(default=1)
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    address = fields.CharField(max_length=200)
    proposed_by_id = fields.UUIDField()
    created_at = fields.DatetimeField()
    scheduled_at = fields.DatetimeField(null=True)
    completed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "inspection"


class InspectionParticipant(Model):
    """One department's part in the visit: its answer to the slot and its finding."""

    id = fields.UUIDField(primary_key=True)
    inspection: fields.ForeignKeyRelation[Inspection] = fields.ForeignKeyField(
        "models.Inspection", related_name="participants", on_delete=fields.CASCADE
    )
    inspection_id: UUID
    department_id = fields.UUIDField()
    response = fields.CharEnumField(InspectionResponse, max_length=12)
    reason = fields.CharField(max_length=500, default="")
    responded_by_id = fields.UUIDField(null=True)
    responded_at = fields.DatetimeField(null=True)
    outcome = fields.CharEnumField(FindingOutcome, max_length=8, null=True)
    finding = fields.CharField(max_length=500, default="")
    recorded_by_id = fields.UUIDField(null=True)
    recorded_at = fields.DatetimeField(null=True)

    class Meta:
        table = "inspection_participant"
        unique_together = (("inspection_id", "department_id"),)


class InspectionEvent(Model):
    """The inspection's timeline: who did what for which department, when."""

    id = fields.UUIDField(primary_key=True)
    inspection: fields.ForeignKeyRelation[Inspection] = fields.ForeignKeyField(
        "models.Inspection", related_name="events", on_delete=fields.CASCADE
    )
    inspection_id: UUID
    seq = fields.BigIntField(default=next_seq, description="order of the steps")
    type = fields.CharEnumField(InspectionEventType, max_length=20)
    at = fields.DatetimeField()
    actor_id = fields.UUIDField(null=True)
    department_id = fields.UUIDField(null=True)
    round = fields.IntField()
    note = fields.CharField(max_length=500, default="")

    class Meta:
        table = "inspection_event"
        indexes = (("inspection_id", "seq"),)
