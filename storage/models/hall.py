"""The physical hall (实体大厅) of a service centre: its windows and the staff who work there.
Appointments, queue tickets and the devices at the windows build on these."""

from __future__ import annotations

from datetime import time
from enum import StrEnum
from uuid import UUID

from tortoise import fields
from tortoise.models import Model


class HallWindow(Model):
    """A window (窗口) of a centre. Windows of one `group` share a queue: tickets are numbered
    per group (A001, A002 …) and any open window of the group calls the next one."""

    id = fields.UUIDField(primary_key=True)
    centre: fields.ForeignKeyRelation[Model] = fields.ForeignKeyField(
        "models.ServiceCentre", related_name="hall_windows", on_delete=fields.CASCADE
    )
    centre_id: UUID
    number = fields.CharField(max_length=16, description="shown above the desk, e.g. 12号窗口")
    name = fields.CharField(max_length=64, description="综合受理, 不动产登记 …")
    group = fields.CharField(max_length=8, description="queue group: the ticket prefix")
    is_open = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "hall_window"
        unique_together = (("centre_id", "number"),)


class HallWindowService(Model):
    """An item (its implementation) a window accepts. A window with none accepts every item
    the centre handles (综合窗口, 一窗受理). (No semicolon here: the docstring becomes the
    table's comment, and SQLite's migration runner splits statements at semicolons.)"""

    id = fields.UUIDField(primary_key=True)
    window: fields.ForeignKeyRelation[HallWindow] = fields.ForeignKeyField(
        "models.HallWindow", related_name="services", on_delete=fields.CASCADE
    )
    window_id: UUID
    implementation: fields.ForeignKeyRelation[Model] = fields.ForeignKeyField(
        "models.Implementation", related_name="hall_windows", on_delete=fields.CASCADE
    )
    implementation_id: UUID

    class Meta:
        table = "hall_window_service"
        unique_together = (("window_id", "implementation_id"),)


class CentreStaffRole(StrEnum):
    MANAGER = "MANAGER"  # manages the centre's windows, hours and staff
    WINDOW = "WINDOW"  # serves at the windows: calls tickets, accepts on a resident's behalf


class CentreStaff(Model):
    """A STAFF account working at a centre (besides the department it may belong to)."""

    id = fields.UUIDField(primary_key=True)
    centre: fields.ForeignKeyRelation[Model] = fields.ForeignKeyField(
        "models.ServiceCentre", related_name="staff", on_delete=fields.CASCADE
    )
    centre_id: UUID
    account: fields.ForeignKeyRelation[Model] = fields.ForeignKeyField(
        "models.Account", related_name="centres", on_delete=fields.CASCADE
    )
    account_id: UUID
    role = fields.CharEnumField(CentreStaffRole, max_length=8)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "centre_staff"
        unique_together = (("centre_id", "account_id"),)


class CentreHours(Model):
    """When a centre is open on one weekday (0 Monday … 6 Sunday). A weekday without a row is
    closed. Appointment slots are cut from these hours on the calendar's working days only."""

    id = fields.UUIDField(primary_key=True)
    centre: fields.ForeignKeyRelation[Model] = fields.ForeignKeyField(
        "models.ServiceCentre", related_name="opening_hours", on_delete=fields.CASCADE
    )
    centre_id: UUID
    weekday = fields.SmallIntField()
    # Minutes after midnight, China time: portable where a TIME column is not (SQLite).
    opens_minute = fields.SmallIntField()
    closes_minute = fields.SmallIntField()

    class Meta:
        table = "centre_hours"
        unique_together = (("centre_id", "weekday"),)

    @property
    def opens_at(self) -> time:
        return time(self.opens_minute // 60, self.opens_minute % 60)

    @property
    def closes_at(self) -> time:
        return time(self.closes_minute // 60, self.closes_minute % 60)


class HallTerminal(Model):
    """A self-service terminal standing in a centre's hall: it issues walk-in queue tickets
    (取号机) for that centre."""

    id = fields.UUIDField(primary_key=True)
    centre: fields.ForeignKeyRelation[Model] = fields.ForeignKeyField(
        "models.ServiceCentre", related_name="hall_terminals", on_delete=fields.CASCADE
    )
    centre_id: UUID
    terminal: fields.ForeignKeyRelation[Model] = fields.ForeignKeyField(
        "models.Terminal", related_name="hall", on_delete=fields.CASCADE, unique=True
    )
    terminal_id: UUID

    class Meta:
        table = "hall_terminal"


class AppointmentSlot(Model):
    """One bookable time slot of a queue group on a day. Created when first booked, with the
    capacity the group's windows had then. `booked` is raised only by one conditional UPDATE
    (`booked < capacity`): the database's row lock serialises racing bookings, so a slot is
    never overbooked whatever the number of processes."""

    id = fields.UUIDField(primary_key=True)
    centre: fields.ForeignKeyRelation[Model] = fields.ForeignKeyField(
        "models.ServiceCentre", related_name="appointment_slots", on_delete=fields.CASCADE
    )
    centre_id: UUID
    group = fields.CharField(max_length=8)
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    capacity = fields.SmallIntField()
    booked = fields.SmallIntField(default=0)

    class Meta:
        table = "appointment_slot"
        unique_together = (("centre_id", "group", "starts_at"),)


class AppointmentStatus(StrEnum):
    BOOKED = "BOOKED"
    CANCELLED = "CANCELLED"
    CHECKED_IN = "CHECKED_IN"
    # Not checked in by the end of its slot: recorded when the resident's appointments are
    # next read or booked (the status is a fact of the clock, not of a worker run).
    NO_SHOW = "NO_SHOW"


class Appointment(Model):
    """A resident's booking (预约) of a slot for one item at a centre."""

    id = fields.UUIDField(primary_key=True)
    resident: fields.ForeignKeyRelation[Model] = fields.ForeignKeyField(
        "models.Account", related_name="appointments", on_delete=fields.CASCADE
    )
    resident_id: UUID
    slot: fields.ForeignKeyRelation[AppointmentSlot] = fields.ForeignKeyField(
        "models.AppointmentSlot", related_name="appointments", on_delete=fields.RESTRICT
    )
    slot_id: UUID
    centre: fields.ForeignKeyRelation[Model] = fields.ForeignKeyField(
        "models.ServiceCentre", related_name="appointments", on_delete=fields.CASCADE
    )
    centre_id: UUID
    implementation: fields.ForeignKeyRelation[Model] = fields.ForeignKeyField(
        "models.Implementation", related_name="appointments", on_delete=fields.RESTRICT
    )
    implementation_id: UUID
    service_code = fields.CharField(max_length=96)
    service_name = fields.CharField(max_length=256)
    group = fields.CharField(max_length=8)
    day = fields.DateField()
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField(db_index=True)
    status = fields.CharEnumField(
        AppointmentStatus, max_length=12, default=AppointmentStatus.BOOKED
    )
    # "<resident>:<service code>:<day>" while booked or checked in, null otherwise: the unique
    # index is the rule "one booking per resident per item per day" under concurrency.
    active_key = fields.CharField(max_length=160, null=True, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    cancelled_at = fields.DatetimeField(null=True)
    checked_in_at = fields.DatetimeField(null=True)

    class Meta:
        table = "appointment"
        indexes = (("resident_id", "starts_at"),)


class QueueCounter(Model):
    """The last ticket number given in a queue group of a centre on a day."""

    id = fields.UUIDField(primary_key=True)
    centre: fields.ForeignKeyRelation[Model] = fields.ForeignKeyField(
        "models.ServiceCentre", related_name="queue_counters", on_delete=fields.CASCADE
    )
    centre_id: UUID
    group = fields.CharField(max_length=8)
    day = fields.DateField()
    last_number = fields.IntField(default=0)

    class Meta:
        table = "queue_counter"
        unique_together = (("centre_id", "group", "day"),)


class TicketKind(StrEnum):
    APPOINTMENT = "APPOINTMENT"
    WALK_IN = "WALK_IN"


class TicketStatus(StrEnum):
    WAITING = "WAITING"
    CALLED = "CALLED"  # called to a window, not answered or being served
    SERVED = "SERVED"  # the window called the next one after it
    SKIPPED = "SKIPPED"  # did not answer after recalls (过号): the resident checks in again


class QueueTicket(Model):
    """A number in a queue group of a centre on one day (A001 …). Tickets are called in the
    order of `queued_at` (see resolvers/hall/queue.py for the rule)."""

    id = fields.UUIDField(primary_key=True)
    centre: fields.ForeignKeyRelation[Model] = fields.ForeignKeyField(
        "models.ServiceCentre", related_name="queue_tickets", on_delete=fields.CASCADE
    )
    centre_id: UUID
    group = fields.CharField(max_length=8)
    day = fields.DateField()
    number = fields.IntField()
    kind = fields.CharEnumField(TicketKind, max_length=12)
    status = fields.CharEnumField(TicketStatus, max_length=8, default=TicketStatus.WAITING)
    implementation: fields.ForeignKeyRelation[Model] = fields.ForeignKeyField(
        "models.Implementation", related_name="queue_tickets", on_delete=fields.RESTRICT
    )
    implementation_id: UUID
    service_code = fields.CharField(max_length=96)
    service_name = fields.CharField(max_length=256)
    appointment: fields.ForeignKeyNullableRelation[Appointment] = fields.ForeignKeyField(
        "models.Appointment", related_name="tickets", on_delete=fields.SET_NULL, null=True
    )
    appointment_id: UUID | None
    # The resident it belongs to (appointment tickets; null for a slip from a terminal).
    owner: fields.ForeignKeyNullableRelation[Model] = fields.ForeignKeyField(
        "models.Account", related_name="queue_tickets", on_delete=fields.SET_NULL, null=True
    )
    owner_id: UUID | None
    terminal: fields.ForeignKeyNullableRelation[Model] = fields.ForeignKeyField(
        "models.Terminal", related_name="queue_tickets", on_delete=fields.SET_NULL, null=True
    )
    terminal_id: UUID | None
    queued_at = fields.DatetimeField()
    issued_at = fields.DatetimeField()
    window: fields.ForeignKeyNullableRelation[HallWindow] = fields.ForeignKeyField(
        "models.HallWindow", related_name="tickets", on_delete=fields.SET_NULL, null=True
    )
    window_id: UUID | None
    called_at = fields.DatetimeField(null=True)
    recalls = fields.SmallIntField(default=0)
    finished_at = fields.DatetimeField(null=True)
    # The WeChat reminder (a few people ahead) was queued: set once, in the same transaction.
    reminded = fields.BooleanField(default=False)

    class Meta:
        table = "queue_ticket"
        unique_together = (("centre_id", "group", "day", "number"),)
        indexes = (("centre_id", "group", "day", "status", "queued_at"),)

    @property
    def code(self) -> str:
        return f"{self.group}{self.number:03d}"


class HallAudit(Model):
    """What centre staff did in the hall (windows, hours, staff, calls), for the audit trail."""

    id = fields.UUIDField(primary_key=True)
    centre: fields.ForeignKeyRelation[Model] = fields.ForeignKeyField(
        "models.ServiceCentre", related_name="hall_audit", on_delete=fields.CASCADE
    )
    centre_id: UUID
    actor: fields.ForeignKeyRelation[Model] = fields.ForeignKeyField(
        "models.Account", related_name="hall_actions", on_delete=fields.RESTRICT
    )
    actor_id: UUID
    action = fields.CharField(max_length=32)
    subject_id = fields.UUIDField(null=True)
    detail = fields.CharField(max_length=256, default="")
    at = fields.DatetimeField()

    class Meta:
        table = "hall_audit"
        indexes = (("centre_id", "at"),)
