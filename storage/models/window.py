"""Acceptance at a window: applications prepared for a present resident (一窗受理) and
citywide items accepted at a centre of another district (全域通办, 受办分离)."""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID

from tortoise import fields
from tortoise.models import Model


class OnBehalfStatus(StrEnum):
    PENDING = "PENDING"  # waiting for the resident's code or signature
    CONFIRMED = "CONFIRMED"  # the application was submitted
    EXPIRED = "EXPIRED"  # not confirmed in time (or too many wrong codes)


class ConsentMethod(StrEnum):
    SMS_CODE = "SMS_CODE"  # a one-time code sent to the resident's phone, read out at the window
    DEVICE_SIGNATURE = "DEVICE_SIGNATURE"  # signed on the device's pad, the device signs it


class OnBehalfSubmission(Model):
    """What window staff prepared for a present resident, held until the resident consents.

    Nothing reaches the resident's wallet or applications before consent: the scans stay the
    officer's documents and the form stays sealed here. On consent the scans move into the
    resident's wallet (trust level B) and the application is submitted as the resident's.
    """

    id = fields.UUIDField(primary_key=True)
    resident: fields.ForeignKeyRelation[Model] = fields.ForeignKeyField(
        "models.Account", related_name="on_behalf_submissions", on_delete=fields.RESTRICT
    )
    resident_id: UUID
    officer_id = fields.UUIDField(db_index=True)
    centre: fields.ForeignKeyRelation[Model] = fields.ForeignKeyField(
        "models.ServiceCentre", related_name="on_behalf_submissions", on_delete=fields.RESTRICT
    )
    centre_id: UUID
    window: fields.ForeignKeyNullableRelation[Model] = fields.ForeignKeyField(
        "models.HallWindow",
        related_name="on_behalf_submissions",
        null=True,
        on_delete=fields.SET_NULL,
    )
    window_id: UUID | None
    device: fields.ForeignKeyRelation[Model] = fields.ForeignKeyField(
        "models.Device", related_name="on_behalf_submissions", on_delete=fields.RESTRICT
    )
    device_id: UUID
    implementation: fields.ForeignKeyRelation[Model] = fields.ForeignKeyField(
        "models.Implementation", related_name="on_behalf_submissions", on_delete=fields.RESTRICT
    )
    implementation_id: UUID
    form_sealed = fields.TextField()
    document_ids: list[str] = fields.JSONField(default=list)
    status = fields.CharEnumField(OnBehalfStatus, max_length=10, default=OnBehalfStatus.PENDING)
    code_hash = fields.CharField(max_length=64, null=True, description="SMS_CODE consent")
    attempts = fields.IntField(default=0)
    # The nonce of the consent the device signed: a signature is worth one consent only.
    challenge = fields.CharField(max_length=64)
    expires_at = fields.DatetimeField()
    created_at = fields.DatetimeField(auto_now_add=True)
    confirmed_at = fields.DatetimeField(null=True)
    consent = fields.CharEnumField(ConsentMethod, max_length=16, null=True)
    application: fields.ForeignKeyNullableRelation[Model] = fields.ForeignKeyField(
        "models.Application", related_name="on_behalf", null=True, on_delete=fields.RESTRICT
    )
    application_id: UUID | None

    class Meta:
        table = "on_behalf_submission"


class CitywideAcceptance(Model):
    """受办分离: a citywide item accepted at a centre of another district than the one whose
    department handles it. The handling department's deadline runs from `accepted_on`."""

    id = fields.UUIDField(primary_key=True)
    application: fields.OneToOneRelation[Model] = fields.OneToOneField(
        "models.Application", related_name="citywide_acceptance", on_delete=fields.RESTRICT
    )
    application_id: UUID
    receiving_centre: fields.ForeignKeyRelation[Model] = fields.ForeignKeyField(
        "models.ServiceCentre", related_name="citywide_acceptances", on_delete=fields.RESTRICT
    )
    receiving_centre_id: UUID
    handling_department: fields.ForeignKeyRelation[Model] = fields.ForeignKeyField(
        "models.Department", related_name="citywide_acceptances", on_delete=fields.RESTRICT
    )
    handling_department_id: UUID
    accepted_on = fields.DateField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "citywide_acceptance"


class TransferStatus(StrEnum):
    HANDED_OVER = "HANDED_OVER"  # the receiving centre sent the paper materials off
    RECEIVED = "RECEIVED"  # the handling department has them


class MaterialTransfer(Model):
    """The paper originals of a citywide acceptance on their way to the handling department."""

    id = fields.UUIDField(primary_key=True)
    application: fields.ForeignKeyRelation[Model] = fields.ForeignKeyField(
        "models.Application", related_name="material_transfers", on_delete=fields.RESTRICT
    )
    application_id: UUID
    status = fields.CharEnumField(TransferStatus, max_length=12)
    description = fields.CharField(max_length=200, description="what was sent: 原件 of …")
    tracking = fields.CharField(max_length=64, default="", description="courier or bag number")
    handed_over_by_id = fields.UUIDField()
    handed_over_at = fields.DatetimeField()
    received_by_id = fields.UUIDField(null=True)
    received_at = fields.DatetimeField(null=True)

    class Meta:
        table = "material_transfer"
