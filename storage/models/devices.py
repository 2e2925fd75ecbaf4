"""Devices at the windows and terminals that read ID cards and sign what they read."""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID

from tortoise import fields
from tortoise.models import Model


class DeviceKind(StrEnum):
    CARD_READER = "CARD_READER"  # an ID-card reader on a window's desk
    TERMINAL = "TERMINAL"  # a self-service terminal's built-in reader and camera


class DeviceStatus(StrEnum):
    ACTIVE = "ACTIVE"
    RETIRED = "RETIRED"  # lost, replaced or its key leaked: nothing it signs is trusted


class Device(Model):
    """A registered device and the public key its reads are verified with (Ed25519).

    A card reader belongs to a centre (and usually one window of it); a terminal's reader
    belongs to that terminal. The private key never leaves the device.
    """

    id = fields.UUIDField(primary_key=True)
    kind = fields.CharEnumField(DeviceKind, max_length=12)
    serial = fields.CharField(max_length=64, unique=True, description="the maker's serial")
    name = fields.CharField(max_length=64)
    centre: fields.ForeignKeyNullableRelation[Model] = fields.ForeignKeyField(
        "models.ServiceCentre", related_name="devices", null=True, on_delete=fields.RESTRICT
    )
    centre_id: UUID | None
    window: fields.ForeignKeyNullableRelation[Model] = fields.ForeignKeyField(
        "models.HallWindow", related_name="devices", null=True, on_delete=fields.SET_NULL
    )
    window_id: UUID | None
    terminal: fields.ForeignKeyNullableRelation[Model] = fields.ForeignKeyField(
        "models.Terminal", related_name="devices", null=True, on_delete=fields.RESTRICT
    )
    terminal_id: UUID | None
    public_key = fields.CharField(max_length=64, description="raw Ed25519 key, base64url")
    status = fields.CharEnumField(DeviceStatus, max_length=8, default=DeviceStatus.ACTIVE)
    registered_by_id = fields.UUIDField()
    registered_at = fields.DatetimeField(auto_now_add=True)
    retired_at = fields.DatetimeField(null=True)

    class Meta:
        table = "device"
        unique_together = (("public_key",),)
        indexes = (("centre_id", "registered_at"),)
