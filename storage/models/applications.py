"""Online applications: the application, its parallel department tasks, its timeline, the
materials it uses, idempotency keys, 好差评 ratings and the rectifications they open."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING
from uuid import UUID

from tortoise import fields
from tortoise.models import Model

from storage.models.catalogue import Channel, MaterialSource, Necessity
from storage.models.outbox import next_seq

if TYPE_CHECKING:
    from storage.models.accounts import Account
    from storage.models.catalogue import Department, Implementation, Region, Terminal
    from storage.models.documents import Document


class ApplicationStatus(StrEnum):
    SUBMITTED = "SUBMITTED"
    SUPPLEMENT_REQUESTED = "SUPPLEMENT_REQUESTED"  # 补正: the clock stops
    ACCEPTED = "ACCEPTED"
    NOT_ACCEPTED = "NOT_ACCEPTED"
    APPROVED = "APPROVED"
    DENIED = "DENIED"
    COMPLETED = "COMPLETED"
    WITHDRAWN = "WITHDRAWN"


OPEN_STATUSES = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.SUPPLEMENT_REQUESTED,
    ApplicationStatus.ACCEPTED,
    ApplicationStatus.APPROVED,
)
FINISHED_STATUSES = (
    ApplicationStatus.COMPLETED,
    ApplicationStatus.DENIED,
    ApplicationStatus.NOT_ACCEPTED,
)


class TaskStatus(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    DENIED = "DENIED"
    CANCELLED = "CANCELLED"  # another department denied: this one need not decide


class EventType(StrEnum):
    SUBMITTED = "SUBMITTED"
    ACCEPTED = "ACCEPTED"
    NOT_ACCEPTED = "NOT_ACCEPTED"
    SUPPLEMENT_REQUESTED = "SUPPLEMENT_REQUESTED"
    SUPPLEMENTED = "SUPPLEMENTED"
    TASK_APPROVED = "TASK_APPROVED"
    TASK_DENIED = "TASK_DENIED"
    APPROVED = "APPROVED"
    DENIED = "DENIED"
    COMPLETED = "COMPLETED"
    WITHDRAWN = "WITHDRAWN"
    DEADLINE_WARNING = "DEADLINE_WARNING"  # 80% of the promised working days used
    OVERDUE = "OVERDUE"
    RATED = "RATED"
    PROGRESS = "PROGRESS"  # a department's business system reported how handling goes
    MATERIALS_HANDED_OVER = "MATERIALS_HANDED_OVER"  # 全域通办: originals sent off by the centre
    MATERIALS_RECEIVED = "MATERIALS_RECEIVED"  # 全域通办: the handling department has them
    # 一次踏勘: the joint inspection's steps, for the resident to follow on the timeline.
    INSPECTION_PROPOSED = "INSPECTION_PROPOSED"  # the lead department proposed a slot
    INSPECTION_CONFIRMED = "INSPECTION_CONFIRMED"  # a department confirmed it
    INSPECTION_DECLINED = "INSPECTION_DECLINED"  # a department declined it (a new slot follows)
    INSPECTION_SCHEDULED = "INSPECTION_SCHEDULED"  # all confirmed: the resident's appointment
    INSPECTION_FINDING = "INSPECTION_FINDING"  # a department's finding from the visit


class ActorKind(StrEnum):
    """Who took a step on the timeline, so that two departments' parallel steps read apart."""

    RESIDENT = "RESIDENT"  # the owner
    WINDOW = "WINDOW"  # the single window (综合窗口) of the lead department
    DEPARTMENT = "DEPARTMENT"  # a handling department, in person or through its own system
    SYSTEM = "SYSTEM"  # the platform itself: deadlines, a bundle's parent following its items


class MaterialState(StrEnum):
    PROVIDED = "PROVIDED"  # the resident named a wallet document
    FROM_WALLET = "FROM_WALLET"  # government-issued, attached from the wallet automatically
    FROM_ISSUER = "FROM_ISSUER"  # government-issued, not in the wallet: fetched by the department
    OWED = "OWED"  # 容缺后补: accepted without it, to be supplied later
    MISSING = "MISSING"  # optional, not given


class RatingLevel(StrEnum):
    VERY_SATISFIED = "VERY_SATISFIED"  # 非常满意
    SATISFIED = "SATISFIED"  # 满意
    BASICALLY_SATISFIED = "BASICALLY_SATISFIED"  # 基本满意
    DISSATISFIED = "DISSATISFIED"  # 不满意
    VERY_DISSATISFIED = "VERY_DISSATISFIED"  # 非常不满意


RATING_SCORES = {
    RatingLevel.VERY_SATISFIED: 5,
    RatingLevel.SATISFIED: 4,
    RatingLevel.BASICALLY_SATISFIED: 3,
    RatingLevel.DISSATISFIED: 2,
    RatingLevel.VERY_DISSATISFIED: 1,
}


class RectificationStatus(StrEnum):
    OPEN = "OPEN"
    REVISITED = "REVISITED"  # the department fixed it and recorded the revisit (回访)


class Application(Model):
    """One resident's application under one exact published implementation version.

    A scenario bundle's parent has none of its own: its children, one per item, each have one.
    """

    id = fields.UUIDField(primary_key=True)
    number = fields.CharField(max_length=24, unique=True, description="CD + date + sequence")
    owner: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="applications", on_delete=fields.RESTRICT
    )
    owner_id: UUID
    # Null only on a scenario bundle's parent: it has no guide of its own, its children do.
    implementation: fields.ForeignKeyNullableRelation[Implementation] = fields.ForeignKeyField(
        "models.Implementation", related_name="applications", null=True, on_delete=fields.RESTRICT
    )
    implementation_id: UUID | None
    # The implementation's organ and region, copied so that staff scoping needs no join.
    department: fields.ForeignKeyNullableRelation[Department] = fields.ForeignKeyField(
        "models.Department", related_name="applications", null=True, on_delete=fields.RESTRICT
    )
    department_id: UUID | None
    region: fields.ForeignKeyRelation[Region] = fields.ForeignKeyField(
        "models.Region", related_name="applications", on_delete=fields.RESTRICT
    )
    region_id: UUID
    # Scenario bundles: the bundle's own application is the parent of one per item.
    parent: fields.ForeignKeyNullableRelation[Application] = fields.ForeignKeyField(
        "models.Application", related_name="children", null=True, on_delete=fields.RESTRICT
    )
    parent_id: UUID | None
    status = fields.CharEnumField(ApplicationStatus, max_length=24)
    # The state to return to when the resident supplements (SUBMITTED or ACCEPTED).
    resume_status = fields.CharEnumField(ApplicationStatus, max_length=24, null=True)
    channel = fields.CharEnumField(Channel, max_length=16)
    terminal: fields.ForeignKeyNullableRelation[Terminal] = fields.ForeignKeyField(
        "models.Terminal", related_name="applications", null=True, on_delete=fields.RESTRICT
    )
    terminal_id: UUID | None
    window_staff_id = fields.UUIDField(null=True, description="SERVICE_HALL: the clerk")
    # JSON of the form, sealed (SM4-GCM, context "application.form"): it holds personal data.
    form_sealed = fields.TextField(null=True)
    submitted_at = fields.DatetimeField()
    # Deadlines are calendar dates in China time; working days come from calendar_day.
    acceptance_due_date = fields.DateField(null=True)
    accepted_on = fields.DateField(null=True)
    due_date = fields.DateField(null=True, description="completion deadline")
    # The due date (acceptance or completion, whichever runs) was counted over days of a year
    # whose schedule is not published yet: it may move when the official year is loaded.
    due_provisional = fields.BooleanField(default=False)
    due_beyond_calendar = fields.BooleanField(
        default=False, description="a deadline falls past the last year the calendar knows"
    )
    stopped_on = fields.DateField(null=True, description="补正: the clock stopped that day")
    stopped_working_days = fields.IntField(default=0)
    reason = fields.CharField(max_length=500, default="", description="why not accepted/denied")
    result_document: fields.ForeignKeyNullableRelation[Document] = fields.ForeignKeyField(
        "models.Document", related_name="result_of", null=True, on_delete=fields.SET_NULL
    )
    result_document_id: UUID | None
    warned_at = fields.DatetimeField(null=True)
    overdue_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "application"
        indexes = (
            ("owner_id", "submitted_at"),
            ("department_id", "status"),
            ("status", "due_date"),
        )


class ApplicationTask(Model):
    """One department's part of an accepted application, handled in parallel with the rest."""

    id = fields.UUIDField(primary_key=True)
    application: fields.ForeignKeyRelation[Application] = fields.ForeignKeyField(
        "models.Application", related_name="tasks", on_delete=fields.CASCADE
    )
    application_id: UUID
    department: fields.ForeignKeyRelation[Department] = fields.ForeignKeyField(
        "models.Department", related_name="application_tasks", on_delete=fields.RESTRICT
    )
    department_id: UUID
    lead = fields.BooleanField(default=False, description="the implementation's own organ")
    status = fields.CharEnumField(TaskStatus, max_length=12, default=TaskStatus.PENDING)
    due_date = fields.DateField(null=True)
    acted_by_id = fields.UUIDField(null=True)
    acted_at = fields.DatetimeField(null=True)
    note = fields.CharField(max_length=500, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "application_task"
        unique_together = (("application_id", "department_id"),)
        indexes = (("department_id", "status", "due_date"),)


class ApplicationEvent(Model):
    """The timeline and audit trail: who did what to the application, when, and why."""

    id = fields.UUIDField(primary_key=True)
    seq = fields.BigIntField(default=next_seq, description="order within the application")
    application: fields.ForeignKeyRelation[Application] = fields.ForeignKeyField(
        "models.Application", related_name="events", on_delete=fields.CASCADE
    )
    application_id: UUID
    type = fields.CharEnumField(EventType, max_length=24)
    at = fields.DatetimeField()
    actor_id = fields.UUIDField(null=True, description="null: the system (deadline scanner)")
    actor_kind = fields.CharEnumField(ActorKind, max_length=12)
    department_id = fields.UUIDField(null=True, description="the department it was acted for")
    task_id = fields.UUIDField(null=True)
    status = fields.CharEnumField(ApplicationStatus, max_length=24, description="status after")
    note = fields.CharField(max_length=500, default="")

    class Meta:
        table = "application_event"
        indexes = (("application_id", "seq"),)


class ApplicationMaterial(Model):
    """How one material of the guide was satisfied (which wallet document, or owed)."""

    id = fields.UUIDField(primary_key=True)
    application: fields.ForeignKeyRelation[Application] = fields.ForeignKeyField(
        "models.Application", related_name="materials", on_delete=fields.CASCADE
    )
    application_id: UUID
    position = fields.IntField(description="index in the guide's material list")
    name = fields.CharField(max_length=128)
    necessity = fields.CharEnumField(Necessity, max_length=12)
    source = fields.CharEnumField(MaterialSource, max_length=12)
    document_kind = fields.CharField(max_length=32, null=True)
    document: fields.ForeignKeyNullableRelation[Document] = fields.ForeignKeyField(
        "models.Document", related_name="application_uses", null=True, on_delete=fields.SET_NULL
    )
    document_id: UUID | None
    state = fields.CharEnumField(MaterialState, max_length=12)

    class Meta:
        table = "application_material"
        ordering = ["position"]
        indexes = (("document_id",),)


class IdempotencyRecord(Model):
    """A client's idempotency key: the same key and input return the first result."""

    id = fields.UUIDField(primary_key=True)
    principal_id = fields.UUIDField()
    scope = fields.CharField(max_length=32, description="the mutation, e.g. submitApplication")
    key = fields.CharField(max_length=128)
    request_hash = fields.CharField(max_length=64)
    application: fields.ForeignKeyRelation[Application] = fields.ForeignKeyField(
        "models.Application", related_name="idempotency_keys", on_delete=fields.CASCADE
    )
    application_id: UUID
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "idempotency_record"
        unique_together = (("principal_id", "scope", "key"),)


class ApplicationCounter(Model):
    """The last application number given out on one day (China time)."""

    day = fields.DateField(primary_key=True)
    issued = fields.IntField(default=0)

    class Meta:
        table = "application_counter"


class Rating(Model):
    """好差评: one rating per finished application."""

    id = fields.UUIDField(primary_key=True)
    application: fields.OneToOneRelation[Application] = fields.OneToOneField(
        "models.Application", related_name="rating", on_delete=fields.CASCADE
    )
    application_id: UUID
    level = fields.CharEnumField(RatingLevel, max_length=20)
    score = fields.IntField(description="5 very satisfied .. 1 very dissatisfied")
    comment = fields.CharField(max_length=200, default="")
    # Copied for the statistics per item and per department.
    base_code = fields.CharField(max_length=32, db_index=True)
    department_id = fields.UUIDField(db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "rating"


class Rectification(Model):
    """A 差评 opens one: the department fixes the cause and records a revisit by the deadline."""

    id = fields.UUIDField(primary_key=True)
    rating: fields.OneToOneRelation[Rating] = fields.OneToOneField(
        "models.Rating", related_name="rectification", on_delete=fields.CASCADE
    )
    rating_id: UUID
    application_id = fields.UUIDField()
    department: fields.ForeignKeyRelation[Department] = fields.ForeignKeyField(
        "models.Department", related_name="rectifications", on_delete=fields.RESTRICT
    )
    department_id: UUID
    status = fields.CharEnumField(RectificationStatus, max_length=12)
    due_date = fields.DateField(null=True)
    due_beyond_calendar = fields.BooleanField(default=False)
    revisit_note = fields.CharField(max_length=500, default="")
    revisited_by_id = fields.UUIDField(null=True)
    revisited_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "rectification"
        indexes = (("department_id", "status"),)
