"""Delivery of an application's result by the resident's choice: collected at a window,
collected at a terminal with a pickup code, or posted (EMS) with a tracking number whose
status the courier reports through a signed webhook."""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID

from tortoise import fields
from tortoise.models import Model

from storage.models.outbox import next_seq


class DeliveryMethod(StrEnum):
    WINDOW = "WINDOW"  # collect at the handling centre's window
    TERMINAL = "TERMINAL"  # collect at a self-service terminal with a pickup code
    POST = "POST"  # EMS to the resident's address


class DeliveryStatus(StrEnum):
    READY = "READY"  # waiting at the window or terminal
    CREATED = "CREATED"  # waybill made, not yet picked up by the courier
    PICKED_UP = "PICKED_UP"
    IN_TRANSIT = "IN_TRANSIT"
    DELIVERED = "DELIVERED"
    COLLECTED = "COLLECTED"  # handed over at a window, or taken at a terminal with the code


class Delivery(Model):
    """The resident's one choice for an application's result."""

    id = fields.UUIDField(primary_key=True)
    application: fields.ForeignKeyRelation[Model] = fields.ForeignKeyField(
        "models.Application", related_name="delivery", on_delete=fields.CASCADE, unique=True
    )
    application_id: UUID
    method = fields.CharEnumField(DeliveryMethod, max_length=8)
    status = fields.CharEnumField(DeliveryStatus, max_length=12)
    # TERMINAL: the code is shown once to the resident and kept only as a keyed hash.
    pickup_code_hash = fields.CharField(max_length=64, null=True, unique=True)
    # POST: whom and where, sealed (context "delivery.recipient"): personal data.
    recipient_sealed = fields.TextField(null=True)
    recipient_masked = fields.CharField(max_length=64, default="")
    tracking_number = fields.CharField(max_length=32, null=True, unique=True)
    # COLLECTED: where and by whom it was handed over (a window's officer, or a terminal).
    collected_at = fields.DatetimeField(null=True)
    collected_by_id = fields.UUIDField(null=True, description="WINDOW: the officer")
    collected_window_id = fields.UUIDField(null=True)
    collected_terminal_id = fields.UUIDField(null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "delivery"


class DeliveryEvent(Model):
    """A status the delivery reached. Courier events carry the courier's event id, once."""

    id = fields.UUIDField(primary_key=True)
    seq = fields.BigIntField(default=next_seq, description="order of the steps")
    delivery: fields.ForeignKeyRelation[Delivery] = fields.ForeignKeyField(
        "models.Delivery", related_name="events", on_delete=fields.CASCADE
    )
    delivery_id: UUID
    status = fields.CharEnumField(DeliveryStatus, max_length=12)
    at = fields.DatetimeField()
    courier_event_id = fields.CharField(max_length=64, null=True, unique=True)

    class Meta:
        table = "delivery_event"
        indexes = (("delivery_id", "seq"),)
