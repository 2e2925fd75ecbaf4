"""The provincial exchange: the province's acknowledgements of our pushes, the department
business systems allowed to call back, and the ledger of their callbacks.

The pushes themselves are outbox rows of kind `exchange.push` (storage.models.outbox)."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING
from uuid import UUID

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from storage.models.catalogue import Department


class ExchangeStep(StrEnum):
    """What one pushed message reports (docs/exchange.md has the table of events)."""

    SUBMIT = "SUBMIT"  # 申报
    ACCEPT = "ACCEPT"  # 受理
    REJECT = "REJECT"  # 不予受理
    SUPPLEMENT_NOTICE = "SUPPLEMENT_NOTICE"  # 补正告知
    SUPPLEMENT = "SUPPLEMENT"  # 补正材料已提交
    HANDLE = "HANDLE"  # 部门办理: one department's task decided
    PROGRESS = "PROGRESS"  # 办理过程: a department's system reported progress
    DECIDE = "DECIDE"  # 审批决定: every department approved, the result is being issued
    FINISH = "FINISH"  # 办结: result issued, or denied
    WITHDRAW = "WITHDRAW"  # 撤回
    RATE = "RATE"  # 好差评


class SigningAlgorithm(StrEnum):
    HMAC_SHA256 = "HMAC-SHA256"  # shared secret
    SM2_SM3 = "SM2-SM3"  # SM2 signature over an SM3 digest (GB/T 32918, GB/T 32905)


class ExchangeAcknowledgement(Model):
    """The province's receipt of one pushed message, kept as proof that it arrived."""

    id = fields.UUIDField(primary_key=True)
    message_id = fields.UUIDField(unique=True, description="the outbox message pushed")
    application_id = fields.UUIDField()
    event_id = fields.UUIDField(description="the application event it reported")
    sequence = fields.IntField(description="position in the application's stream, from 1")
    step = fields.CharEnumField(ExchangeStep, max_length=20)
    event_at = fields.DatetimeField()
    ack_id = fields.CharField(max_length=64, description="the province's own receipt id")
    acknowledged_at = fields.DatetimeField()
    province_received_at = fields.DatetimeField(null=True)
    duplicate = fields.BooleanField(default=False, description="the province had it already")

    class Meta:
        table = "exchange_acknowledgement"
        indexes = (("application_id", "sequence"), ("event_at",))


class CallbackKind(StrEnum):
    PROGRESS = "PROGRESS"  # a note on the handling, recorded on the timeline
    TASK_OUTCOME = "TASK_OUTCOME"  # the department's decision on its task
    RESULT_DOCUMENT = "RESULT_DOCUMENT"  # the result (证照/批文), issued into the wallet


class ExchangeSystem(Model):
    """A department's own business system, allowed to report back through signed callbacks."""

    id = fields.UUIDField(primary_key=True)
    key_id = fields.CharField(max_length=64, unique=True, description="sent as X-Exchange-System")
    department: fields.ForeignKeyRelation[Department] = fields.ForeignKeyField(
        "models.Department", related_name="exchange_systems", on_delete=fields.RESTRICT
    )
    department_id: UUID
    name = fields.CharField(max_length=128, default="")
    algorithm = fields.CharEnumField(SigningAlgorithm, max_length=16)
    # HMAC: the shared secret, sealed (SM4-GCM, context "exchange.system.secret").
    secret_sealed = fields.TextField(null=True)
    # After a rotation: the secret it replaced, still accepted until previous_secret_until so
    # that the system's operators can switch without a refused callback.
    previous_secret_sealed = fields.TextField(null=True)
    previous_secret_until = fields.DatetimeField(null=True)
    # SM2: the system's public key (x||y, 128 hex characters); not a secret.
    public_key = fields.CharField(max_length=130, null=True)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "exchange_system"


class ExchangeCallback(Model):
    """The ledger of applied callbacks, one row per message id of a system.

    Written in the transaction that applies the callback: a repeat is answered from here."""

    id = fields.UUIDField(primary_key=True)
    system: fields.ForeignKeyRelation[ExchangeSystem] = fields.ForeignKeyField(
        "models.ExchangeSystem", related_name="callbacks", on_delete=fields.RESTRICT
    )
    system_id: UUID
    message_id = fields.CharField(max_length=64)
    body_sha256 = fields.CharField(max_length=64, description="a reused id with other content")
    kind = fields.CharEnumField(CallbackKind, max_length=20)
    application_id = fields.UUIDField()
    received_at = fields.DatetimeField()

    class Meta:
        table = "exchange_callback"
        unique_together = (("system_id", "message_id"),)
        indexes = (("received_at",),)
