"""帮办代办: a resident's delegation of chosen items to an agent (another resident or a
community helper), the register of the people each community helper serves, the applications
an agent submitted under a delegation, and the trail of every step naming both sides."""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID

from tortoise import fields
from tortoise.models import Model

from storage.models.outbox import next_seq


class DelegationStatus(StrEnum):
    PENDING = "PENDING"  # granted to a resident, waiting for them to accept
    ACTIVE = "ACTIVE"  # in force until `valid_until` (China date, inclusive)
    REVOKED = "REVOKED"  # by the principal: no more reads or submissions, at once


class AgentKind(StrEnum):
    RESIDENT = "RESIDENT"  # another resident, found by their bound phone
    COMMUNITY_HELPER = "COMMUNITY_HELPER"  # 社区代办员, for the people on their register


class DelegationEventType(StrEnum):
    GRANTED = "GRANTED"
    ACCEPTED = "ACCEPTED"
    REVOKED = "REVOKED"
    SUBMITTED = "SUBMITTED"  # the agent submitted an application for the principal


class CommunityHelper(Model):
    """A STAFF account working as 社区代办员 for one community (a COMMUNITY region)."""

    id = fields.UUIDField(primary_key=True)
    community: fields.ForeignKeyRelation[Model] = fields.ForeignKeyField(
        "models.Region", related_name="community_helpers", on_delete=fields.RESTRICT
    )
    community_id: UUID
    account: fields.ForeignKeyRelation[Model] = fields.ForeignKeyField(
        "models.Account", related_name="helper_of", on_delete=fields.CASCADE
    )
    account_id: UUID
    registered_by_id = fields.UUIDField(description="the officer who registered the helper")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "community_helper"
        unique_together = (("community_id", "account_id"),)


class HelperClient(Model):
    """A resident on a helper's register: the people the helper may act for (with their
    delegation). Removal keeps the row (`removed_at`) for the trail."""

    id = fields.UUIDField(primary_key=True)
    helper: fields.ForeignKeyRelation[CommunityHelper] = fields.ForeignKeyField(
        "models.CommunityHelper", related_name="clients", on_delete=fields.CASCADE
    )
    helper_id: UUID
    resident: fields.ForeignKeyRelation[Model] = fields.ForeignKeyField(
        "models.Account", related_name="helped_by", on_delete=fields.CASCADE
    )
    resident_id: UUID
    added_by_id = fields.UUIDField()
    added_at = fields.DatetimeField()
    removed_by_id = fields.UUIDField(null=True)
    removed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "helper_client"
        indexes = (("helper_id", "resident_id"),)


class Delegation(Model):
    """A principal's grant to an agent: which items (implementation or basic codes), until
    which day. The agent submits and follows applications of those items for the principal."""

    id = fields.UUIDField(primary_key=True)
    principal: fields.ForeignKeyRelation[Model] = fields.ForeignKeyField(
        "models.Account", related_name="delegations_given", on_delete=fields.RESTRICT
    )
    principal_id: UUID
    agent: fields.ForeignKeyRelation[Model] = fields.ForeignKeyField(
        "models.Account", related_name="delegations_received", on_delete=fields.RESTRICT
    )
    agent_id: UUID
    agent_kind = fields.CharEnumField(AgentKind, max_length=16)
    helper: fields.ForeignKeyNullableRelation[CommunityHelper] = fields.ForeignKeyField(
        "models.CommunityHelper", related_name="delegations", null=True, on_delete=fields.RESTRICT
    )
    helper_id: UUID | None
    service_codes: list[str] = fields.JSONField(default=list)
    valid_until = fields.DateField(description="China date, the last day it is in force")
    status = fields.CharEnumField(DelegationStatus, max_length=8)
    granted_at = fields.DatetimeField()
    accepted_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "delegation"
        indexes = (("principal_id", "granted_at"), ("agent_id", "granted_at"))


class DelegatedApplication(Model):
    """An application an agent submitted under a delegation: the applicant is the principal,
    the agent is recorded here (and as the actor of its SUBMITTED event)."""

    id = fields.UUIDField(primary_key=True)
    delegation: fields.ForeignKeyRelation[Delegation] = fields.ForeignKeyField(
        "models.Delegation", related_name="applications", on_delete=fields.RESTRICT
    )
    delegation_id: UUID
    application: fields.ForeignKeyRelation[Model] = fields.ForeignKeyField(
        "models.Application", related_name="delegated", on_delete=fields.CASCADE, unique=True
    )
    application_id: UUID
    agent_id = fields.UUIDField()
    submitted_at = fields.DatetimeField()

    class Meta:
        table = "delegated_application"
        indexes = (("delegation_id", "submitted_at"),)


class DelegationEvent(Model):
    """The trail: every step on a delegation names the principal, the agent and who acted."""

    id = fields.UUIDField(primary_key=True)
    delegation: fields.ForeignKeyRelation[Delegation] = fields.ForeignKeyField(
        "models.Delegation", related_name="events", on_delete=fields.CASCADE
    )
    delegation_id: UUID
    seq = fields.BigIntField(default=next_seq, description="order of the steps")
    type = fields.CharEnumField(DelegationEventType, max_length=12)
    at = fields.DatetimeField()
    actor_id = fields.UUIDField()
    principal_id = fields.UUIDField()
    agent_id = fields.UUIDField()
    application_id = fields.UUIDField(null=True)

    class Meta:
        table = "delegation_event"
        indexes = (("delegation_id", "seq"),)
