"""The in-app inbox and the WeChat subscribe-message grants residents gave us."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from storage.models.accounts import Account


class Notification(Model):
    """One message in an account's inbox. `outbox_id` makes delivery idempotent: an outbox
    row retried after a crash never writes a second copy."""

    id = fields.UUIDField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="notifications", on_delete=fields.CASCADE
    )
    account_id: UUID
    outbox_id = fields.UUIDField()
    topic = fields.CharField(max_length=32, description="APPLICATION_STATUS, DEADLINE, ...")
    subject_id = fields.UUIDField(null=True, description="e.g. the application")
    title = fields.CharField(max_length=64)
    body = fields.CharField(max_length=200)
    created_at = fields.DatetimeField(auto_now_add=True)
    read_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notification"
        unique_together = (("outbox_id", "account_id"),)
        indexes = (("account_id", "created_at"),)


class SubscriptionGrant(Model):
    """How many subscribe messages of one template the account allowed (one per accept)."""

    id = fields.UUIDField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="subscription_grants", on_delete=fields.CASCADE
    )
    account_id: UUID
    template_id = fields.CharField(max_length=64)
    remaining = fields.IntField(default=0)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "subscription_grant"
        unique_together = (("account_id", "template_id"),)
