"""Third-party providers: organisations, their members and invitations, the services they offer
beside the government's, API keys of their systems, webhook endpoints with a delivery log (and
the deliveries held while a provider is suspended), and the residents' hand-off consents."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any
from uuid import UUID

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from storage.models.accounts import Account
    from storage.models.catalogue import Region


class ProviderStatus(StrEnum):
    PENDING = "PENDING"  # registered, waiting for staff review
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"  # with a reason; the registrant may correct and register again
    SUSPENDED = "SUSPENDED"  # by staff, with a reason: hidden, keys refused, webhooks held


class ProviderMemberRole(StrEnum):
    """OWNERs manage members, API keys and webhooks; EDITORs write and submit services."""

    OWNER = "OWNER"
    EDITOR = "EDITOR"


class ProviderServiceStatus(StrEnum):
    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"  # waiting for staff review (and, maybe, WeChat's content check)
    PUBLISHED = "PUBLISHED"  # visible to residents
    REJECTED = "REJECTED"  # with a reason; an update puts it back to DRAFT
    SUSPENDED = "SUSPENDED"  # taken off by staff, with a reason


class ProviderCategory(StrEnum):
    """What kind of social service it is; scenarios name a category, never one provider."""

    UTILITIES = "UTILITIES"  # 水电气过户、缴费
    TELECOM = "TELECOM"  # 通信宽带
    HOUSEKEEPING = "HOUSEKEEPING"  # 家政服务
    MEDICAL = "MEDICAL"  # 医疗健康
    BANKING = "BANKING"  # 金融服务
    EDUCATION = "EDUCATION"  # 教育培训
    ELDERLY_CARE = "ELDERLY_CARE"  # 养老服务
    MOVING = "MOVING"  # 搬家物流
    OTHER = "OTHER"


class LinkKind(StrEnum):
    H5 = "H5"  # an https page on an allow-listed domain
    MINI_PROGRAM = "MINI_PROGRAM"  # another mini-program (app id and path)
    PHONE = "PHONE"  # a hotline


class ContentCheck(StrEnum):
    """WeChat's text check (msg_sec_check v2) of a service's name and description."""

    PENDING = "PENDING"  # not checked yet (WeChat unreachable): cannot be published
    PASSED = "PASSED"
    REVIEW = "REVIEW"  # WeChat is unsure: the staff reviewer must read it carefully
    UNCHECKED = "UNCHECKED"  # no member used the mini-program recently: the reviewer checks


class ApiKeyScope(StrEnum):
    SERVICES_READ = "services:read"
    SERVICES_WRITE = "services:write"
    WEBHOOKS = "webhooks"
    HANDOFFS = "handoffs"  # exchange hand-off codes for the resident's shared fields


class WebhookEvent(StrEnum):
    PROVIDER_REVIEWED = "provider.reviewed"
    SERVICE_REVIEWED = "service.reviewed"
    SERVICE_SUSPENDED = "service.suspended"
    HANDOFF_CREATED = "handoff.created"
    HANDOFF_WITHDRAWN = "handoff.withdrawn"
    TEST = "webhook.test"  # testWebhookDelivery only; never subscribed to


class HandoffField(StrEnum):
    NAME = "NAME"  # the verified real name
    PHONE = "PHONE"  # the bound mobile number


class ProviderEventType(StrEnum):
    REGISTERED = "REGISTERED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    SUSPENDED = "SUSPENDED"
    REINSTATED = "REINSTATED"
    MEMBER_INVITED = "MEMBER_INVITED"
    INVITATION_CANCELLED = "INVITATION_CANCELLED"
    MEMBER_ADDED = "MEMBER_ADDED"
    MEMBER_ROLE_CHANGED = "MEMBER_ROLE_CHANGED"
    MEMBER_REMOVED = "MEMBER_REMOVED"
    SERVICE_CREATED = "SERVICE_CREATED"
    SERVICE_UPDATED = "SERVICE_UPDATED"
    SERVICE_SUBMITTED = "SERVICE_SUBMITTED"
    SERVICE_PUBLISHED = "SERVICE_PUBLISHED"
    SERVICE_REJECTED = "SERVICE_REJECTED"
    SERVICE_SUSPENDED = "SERVICE_SUSPENDED"
    CONTENT_CHECKED = "CONTENT_CHECKED"
    API_KEY_CREATED = "API_KEY_CREATED"
    API_KEY_REVOKED = "API_KEY_REVOKED"
    WEBHOOK_REGISTERED = "WEBHOOK_REGISTERED"
    WEBHOOK_SECRET_ROTATED = "WEBHOOK_SECRET_ROTATED"  # noqa: S105 (an event type)
    WEBHOOK_DELETED = "WEBHOOK_DELETED"


class Provider(Model):
    """An organisation offering social services (utilities, clinics, banks, 家政).

    The contact person's name and phone are personal data: sealed, with masked copies.
    """

    id = fields.UUIDField(primary_key=True)
    name = fields.CharField(max_length=64)
    credit_code = fields.CharField(max_length=18, unique=True, description="GB 32100")
    status = fields.CharEnumField(ProviderStatus, max_length=12, default=ProviderStatus.PENDING)
    review_reason = fields.CharField(max_length=200, default="")
    contact_name_sealed = fields.TextField()
    contact_name_masked = fields.CharField(max_length=32)
    contact_phone_sealed = fields.TextField()
    contact_phone_masked = fields.CharField(max_length=16)
    created_by: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="registered_providers", on_delete=fields.RESTRICT
    )
    created_by_id: UUID
    reviewed_by_id = fields.UUIDField(null=True)
    reviewed_at = fields.DatetimeField(null=True)
    demo = fields.BooleanField(default=False, description="demo data, never real")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "provider"
        indexes = (("status", "created_at"),)


class ProviderMember(Model):
    """An account acting for a provider (its first member, an OWNER, is the one who registered
    it). `owner` is the role: OWNER when set, EDITOR otherwise."""

    id = fields.UUIDField(primary_key=True)
    provider: fields.ForeignKeyRelation[Provider] = fields.ForeignKeyField(
        "models.Provider", related_name="members", on_delete=fields.CASCADE
    )
    provider_id: UUID
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="provider_memberships", on_delete=fields.CASCADE
    )
    account_id: UUID
    owner = fields.BooleanField(default=False, description="OWNER (else EDITOR)")
    added_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "provider_member"
        unique_together = (("provider_id", "account_id"),)

    @property
    def role(self) -> ProviderMemberRole:
        return ProviderMemberRole.OWNER if self.owner else ProviderMemberRole.EDITOR


class ProviderInvitation(Model):
    """An OWNER's invitation of whoever holds a phone number. The number is kept only as the
    accounts' blind index (and masked): the invitee accepts it from an account with that bound
    phone, also one that binds it after the invitation was made."""

    id = fields.UUIDField(primary_key=True)
    provider: fields.ForeignKeyRelation[Provider] = fields.ForeignKeyField(
        "models.Provider", related_name="invitations", on_delete=fields.CASCADE
    )
    provider_id: UUID
    phone_index = fields.CharField(max_length=64, db_index=True, description="blind index")
    phone_masked = fields.CharField(max_length=16)
    role = fields.CharEnumField(ProviderMemberRole, max_length=8)
    invited_by_id = fields.UUIDField()
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    accepted_at = fields.DatetimeField(null=True)
    accepted_by_id = fields.UUIDField(null=True)
    # An OWNER took it back before anyone accepted it: it can no longer be accepted.
    cancelled_at = fields.DatetimeField(null=True)
    cancelled_by_id = fields.UUIDField(null=True)

    class Meta:
        table = "provider_invitation"
        indexes = (("provider_id", "created_at"),)


class ProviderService(Model):
    """A social service as its provider describes it, seen by residents only when PUBLISHED."""

    id = fields.UUIDField(primary_key=True)
    provider: fields.ForeignKeyRelation[Provider] = fields.ForeignKeyField(
        "models.Provider", related_name="services", on_delete=fields.CASCADE
    )
    provider_id: UUID
    name = fields.CharField(max_length=40)
    description = fields.CharField(max_length=1000)
    category = fields.CharEnumField(ProviderCategory, max_length=16)
    for_persons = fields.BooleanField(default=True)
    for_organisations = fields.BooleanField(default=False)
    opening_hours = fields.CharField(max_length=100, default="")
    link_kind = fields.CharEnumField(LinkKind, max_length=16)
    link_target = fields.CharField(max_length=500, description="URL, mini-program path or phone")
    link_app_id = fields.CharField(max_length=32, default="", description="mini-program app id")
    status = fields.CharEnumField(
        ProviderServiceStatus, max_length=12, default=ProviderServiceStatus.DRAFT
    )
    review_reason = fields.CharField(max_length=200, default="")
    content_check = fields.CharEnumField(ContentCheck, max_length=12, default=ContentCheck.PENDING)
    content_label = fields.IntField(null=True, description="WeChat's label (100 normal ...)")
    content_trace_id = fields.CharField(max_length=64, default="")
    submitted_at = fields.DatetimeField(null=True)
    published_at = fields.DatetimeField(null=True)
    reviewed_by_id = fields.UUIDField(null=True)
    reviewed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "provider_service"
        indexes = (("status", "name"), ("provider_id", "status"), ("category", "status"))


class ProviderServiceTheme(Model):
    """A theme (by code) a service is listed under."""

    id = fields.UUIDField(primary_key=True)
    service: fields.ForeignKeyRelation[ProviderService] = fields.ForeignKeyField(
        "models.ProviderService", related_name="themes", on_delete=fields.CASCADE
    )
    service_id: UUID
    theme_code = fields.CharField(max_length=32, db_index=True)

    class Meta:
        table = "provider_service_theme"
        unique_together = (("service_id", "theme_code"),)


class ProviderServiceRegion(Model):
    """A region a service is offered in (and everywhere below it)."""

    id = fields.UUIDField(primary_key=True)
    service: fields.ForeignKeyRelation[ProviderService] = fields.ForeignKeyField(
        "models.ProviderService", related_name="regions", on_delete=fields.CASCADE
    )
    service_id: UUID
    region: fields.ForeignKeyRelation[Region] = fields.ForeignKeyField(
        "models.Region", related_name="provider_services", on_delete=fields.RESTRICT
    )
    region_id: UUID

    class Meta:
        table = "provider_service_region"
        unique_together = (("service_id", "region_id"),)


class ProviderEvent(Model):
    """The audit trail of a provider and its services: who (account or API key) did what when.

    Notes are staff reasons or codes, never personal data.
    """

    id = fields.UUIDField(primary_key=True)
    provider: fields.ForeignKeyRelation[Provider] = fields.ForeignKeyField(
        "models.Provider", related_name="events", on_delete=fields.CASCADE
    )
    provider_id: UUID
    service_id = fields.UUIDField(null=True, db_index=True)
    type = fields.CharEnumField(ProviderEventType, max_length=32)
    status = fields.CharField(max_length=12, default="", description="status after the event")
    actor_id = fields.UUIDField(null=True, description="the account, if one acted")
    api_key_id = fields.UUIDField(null=True, description="the API key, if a system acted")
    note = fields.CharField(max_length=200, default="")
    at = fields.DatetimeField()

    class Meta:
        table = "provider_event"
        indexes = (("provider_id", "at"),)


class ApiKey(Model):
    """A provider system's credential: only a keyed hash is stored, it is shown once at creation."""

    id = fields.UUIDField(primary_key=True)
    provider: fields.ForeignKeyRelation[Provider] = fields.ForeignKeyField(
        "models.Provider", related_name="api_keys", on_delete=fields.CASCADE
    )
    provider_id: UUID
    name = fields.CharField(max_length=40)
    prefix = fields.CharField(max_length=16, description="rb_pk_ and the first characters")
    key_hash = fields.CharField(max_length=64, unique=True)
    scopes: list[str] = fields.JSONField(default=list)
    rate_per_minute = fields.IntField()
    daily_quota = fields.IntField()
    created_by_id = fields.UUIDField()
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    revoked_by_id = fields.UUIDField(null=True)

    class Meta:
        table = "provider_api_key"


class WebhookEndpoint(Model):
    """Where a provider wants to hear about events, signed per Standard Webhooks.

    Secrets are sealed. After a rotation the previous one also signs until it expires.
    """

    id = fields.UUIDField(primary_key=True)
    provider: fields.ForeignKeyRelation[Provider] = fields.ForeignKeyField(
        "models.Provider", related_name="webhooks", on_delete=fields.CASCADE
    )
    provider_id: UUID
    url = fields.CharField(max_length=500)
    events: list[str] = fields.JSONField(default=list)
    secret_sealed = fields.TextField()
    previous_secret_sealed = fields.TextField(null=True)
    previous_secret_expires_at = fields.DatetimeField(null=True)
    secret_rotated_at = fields.DatetimeField(null=True)
    created_by_id = fields.UUIDField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    deleted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "provider_webhook"


class WebhookDelivery(Model):
    """One attempt to deliver one event to one endpoint: the delivery log.

    `error` names what failed (timeout, HTTP 500, refused address), never a payload.
    """

    id = fields.UUIDField(primary_key=True)
    endpoint: fields.ForeignKeyRelation[WebhookEndpoint] = fields.ForeignKeyField(
        "models.WebhookEndpoint", related_name="deliveries", on_delete=fields.CASCADE
    )
    endpoint_id: UUID
    outbox_id = fields.UUIDField(db_index=True)
    webhook_id = fields.CharField(max_length=64, description="the webhook-id header")
    event = fields.CharField(max_length=32)
    attempt = fields.IntField()
    succeeded = fields.BooleanField()
    will_retry = fields.BooleanField(default=False)
    status_code = fields.IntField(null=True)
    duration_ms = fields.IntField()
    error = fields.CharField(max_length=200, default="")
    at = fields.DatetimeField()

    class Meta:
        table = "provider_webhook_delivery"
        indexes = (("endpoint_id", "at"),)


class HeldWebhookMessage(Model):
    """A webhook message that came due while its provider was suspended: held here, not
    dropped, and given back to the outbox (same webhook-id) when the provider is reinstated."""

    id = fields.UUIDField(primary_key=True)
    provider: fields.ForeignKeyRelation[Provider] = fields.ForeignKeyField(
        "models.Provider", related_name="held_webhook_messages", on_delete=fields.CASCADE
    )
    provider_id: UUID
    payload: dict[str, Any] = fields.JSONField(default=dict)  # the outbox payload, ids only
    held_at = fields.DatetimeField()

    class Meta:
        table = "provider_webhook_held"
        indexes = (("provider_id", "held_at"),)


class HandoffConsent(Model):
    """A resident's consent to share chosen fields with one provider's service: what, to whom,
    when, and whether it was used or withdrawn. The shared values are never copied here: the
    one-time code (stored as a keyed hash) reads them from the account when it is exchanged.
    """

    id = fields.UUIDField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="handoff_consents", on_delete=fields.CASCADE
    )
    account_id: UUID
    provider: fields.ForeignKeyRelation[Provider] = fields.ForeignKeyField(
        "models.Provider", related_name="handoff_consents", on_delete=fields.CASCADE
    )
    provider_id: UUID
    service: fields.ForeignKeyRelation[ProviderService] = fields.ForeignKeyField(
        "models.ProviderService", related_name="handoff_consents", on_delete=fields.CASCADE
    )
    service_id: UUID
    fields_shared: list[str] = fields.JSONField(default=list)
    code_hash = fields.CharField(max_length=64, unique=True)
    code_expires_at = fields.DatetimeField()
    granted_at = fields.DatetimeField()
    exchanged_at = fields.DatetimeField(null=True)
    exchanged_by_key_id = fields.UUIDField(null=True)
    exchanged_by_account_id = fields.UUIDField(null=True)
    withdrawn_at = fields.DatetimeField(null=True)

    class Meta:
        table = "handoff_consent"
        indexes = (("account_id", "granted_at"),)
