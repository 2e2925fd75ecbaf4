"""The physical hall (实体大厅) of a service centre: its windows and the staff who work there.
Appointments, queue tickets and the devices at the windows build on these."""

from __future__ import annotations

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
