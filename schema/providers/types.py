"""Third-party providers and their social services as GraphQL types, with the inputs, errors
and results of their mutations. Members and staff see a provider's inner workings (reasons,
content checks, keys, webhooks); everyone else sees what residents may see."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any, Self
from uuid import UUID

import strawberry
from strawberry import relay

from resolvers import policy
from resolvers.catalogue.service import Audience
from resolvers.ids import global_id
from resolvers.providers import handoff, overlay
from resolvers.providers import service as provider_service
from resolvers.providers.errors import ProviderErrorCode
from resolvers.providers.handoff import Grant, SharedData
from resolvers.providers.onboarding import Decision
from resolvers.providers.services import MAX_REGIONS
from resolvers.providers.services import MAX_THEMES as MAX_SERVICE_THEMES
from resolvers.providers.webhooks import SUBSCRIBABLE, IssuedSecret
from schema.catalogue.types import Region
from schema.context import Info
from schema.cost import bounded
from schema.errors import UserError
from schema.pagination import Connection, ListLimit, PageInfo, connection_of, page_request
from storage.models import providers as models
from storage.models.providers import (
    ApiKeyScope,
    ContentCheck,
    HandoffField,
    LinkKind,
    ProviderCategory,
    ProviderEventType,
    ProviderMemberRole,
    ProviderServiceStatus,
    ProviderStatus,
    WebhookEvent,
)

strawberry.enum(
    ProviderStatus,
    description=(
        "PENDING review, APPROVED, REJECTED (reason), or SUSPENDED by staff (reason): its "
        "services hidden, its API keys refused, its webhooks held until it is reinstated."
    ),
)
strawberry.enum(
    ProviderMemberRole,
    description=(
        "OWNER: manages members, API keys and webhooks, and writes services; EDITOR: writes "
        "and submits services."
    ),
)
strawberry.enum(
    ProviderServiceStatus,
    description=(
        "DRAFT → SUBMITTED → PUBLISHED (residents see it) or REJECTED (reason); PUBLISHED → "
        "SUSPENDED by staff (reason). Any update puts a service back to DRAFT."
    ),
)
strawberry.enum(
    ProviderCategory,
    description=(
        "What kind of social service: UTILITIES 水电气, TELECOM 通信宽带, HOUSEKEEPING 家政, "
        "MEDICAL 医疗健康, BANKING 金融, EDUCATION 教育培训, ELDERLY_CARE 养老, MOVING 搬家, "
        "OTHER. Scenario bundles list a category, never one provider."
    ),
)
strawberry.enum(
    LinkKind,
    name="ProviderLinkKind",
    description=(
        "H5: an https page on an allow-listed domain; MINI_PROGRAM: another mini-program "
        "(appId and page path, for wx.navigateToMiniProgram); PHONE: a hotline."
    ),
)
strawberry.enum(
    ContentCheck,
    description=(
        "WeChat's text check of name, description and hours: PASSED; REVIEW (WeChat unsure, "
        "read it carefully); UNCHECKED (no member used the mini-program in the last two hours, "
        "the reviewer checks); PENDING (WeChat unreachable: cannot be published yet)."
    ),
)
strawberry.enum(
    ApiKeyScope,
    description=(
        "SERVICES_READ and SERVICES_WRITE: the provider's own services; WEBHOOKS: its "
        "endpoints and delivery log; HANDOFFS: exchanging residents' hand-off codes."
    ),
)
strawberry.enum(
    WebhookEvent,
    name="WebhookEventType",
    description=(
        "Sent as `type` in the body: provider.reviewed, service.reviewed, service.suspended, "
        "handoff.created, handoff.withdrawn (the provider must delete what it received); "
        "webhook.test comes from testWebhookDelivery only."
    ),
)
strawberry.enum(
    HandoffField,
    description="NAME: the verified real name; PHONE: the bound mobile number.",
)
strawberry.enum(ProviderEventType)
strawberry.enum(ProviderErrorCode)
strawberry.enum(Decision, name="ReviewDecision")

# A provider's people, keys (revoked ones stay listed) and endpoints, and a service's history:
# each grows over the years, each fits one answer for a long while.
MEMBERS = ListLimit(default=100, cap=100)
API_KEYS = ListLimit(default=100, cap=100)
WEBHOOKS = ListLimit(default=100, cap=100)  # at most webhook_max_per_provider (<= 100) live
SERVICE_EVENTS = ListLimit(default=100, cap=100)
MY_PROVIDERS = ListLimit(default=50, cap=50)
# Open for a week, at most 20 made a day per provider.
INVITATIONS = ListLimit(default=100, cap=100)
MY_INVITATIONS = ListLimit(default=20, cap=50)
THEME_SERVICES = ListLimit(default=overlay.MAX_PER_THEME, cap=overlay.MAX_PER_THEME)

DISCLAIMER = "本服务由第三方机构“{provider}”提供，不属于政务服务事项，相关费用与责任由该机构承担。"


async def _insider(info: Info, provider_id: UUID) -> bool:
    """Staff, or a member of the provider: who may see its inner workings."""
    principal = info.context.principal
    members: frozenset[UUID] = frozenset()
    if principal.account_id is not None and not principal.is_staff:
        # Whether the caller is one of its members (their memberships, loaded once).
        own = await info.context.loaders.providers.memberships.load(principal.account_id)
        members = frozenset({principal.account_id}) if provider_id in own else frozenset()
    return await policy.allows(
        info.context.resources,
        principal,
        policy.Action.PROVIDER_INSIDE_READ,
        policy.Subject(members=members),
    )


_NO_ID = UUID(int=0)


def _uuid(node_id: object) -> UUID:
    try:
        return UUID(str(node_id))
    except ValueError:
        return _NO_ID


async def _owner(info: Info, provider_id: UUID) -> bool:
    """Whether the caller is one of the provider's OWNERs (who manage keys and webhooks)."""
    account_id = info.context.principal.account_id
    if account_id is None:
        return False
    members = await info.context.loaders.providers.members.load(provider_id)
    return any(m.account_id == account_id and m.owner for m in members)


@strawberry.type(description="Someone acting for a provider; personal data only masked.")
class ProviderMember:
    id: strawberry.ID = strawberry.field(description="Names the member to change or remove.")
    role: ProviderMemberRole
    owner: bool = strawberry.field(description="True for an OWNER (see `role`).")
    joined_at: datetime
    _model: strawberry.Private[models.ProviderMember]

    @classmethod
    def of(cls, row: models.ProviderMember) -> Self:
        return cls(
            id=strawberry.ID(global_id("ProviderMember", row.id)),
            role=row.role,
            owner=row.owner,
            joined_at=row.added_at,
            _model=row,
        )

    @strawberry.field(description="e.g. 张*, once real-name verified")
    async def name_masked(self, info: Info) -> str | None:
        account = await info.context.loaders.account.load(self._model.account_id)
        return account.name_masked if account else None

    @strawberry.field(description="e.g. 138****0000")
    async def phone_masked(self, info: Info) -> str | None:
        account = await info.context.loaders.account.load(self._model.account_id)
        return account.phone_masked if account else None


@strawberry.type(
    description=(
        "An invitation to act for a provider, waiting for whoever holds the phone to accept "
        "it (`acceptProviderInvitation`) from an account with that phone bound."
    )
)
class ProviderInvitation:
    id: strawberry.ID
    role: ProviderMemberRole
    phone_masked: str = strawberry.field(description="The invited number, e.g. 138****0000.")
    created_at: datetime
    expires_at: datetime = strawberry.field(description="7 days after it was made.")
    cancelled_at: datetime | None = strawberry.field(
        description="When an OWNER took it back (`cancelProviderInvitation`); null while open."
    )
    _model: strawberry.Private[models.ProviderInvitation]

    @classmethod
    def of(cls, row: models.ProviderInvitation) -> Self:
        return cls(
            id=strawberry.ID(global_id("ProviderInvitation", row.id)),
            role=row.role,
            phone_masked=row.phone_masked,
            created_at=row.created_at,
            expires_at=row.expires_at,
            cancelled_at=row.cancelled_at,
            _model=row,
        )

    @strawberry.field(description="The inviting provider's name.")
    async def provider_name(self, info: Info) -> str:
        row = await info.context.loaders.providers.provider.load(self._model.provider_id)
        return row.name if row else ""


@strawberry.type(description="A provider system's API key; the key itself was shown once.")
class ApiKey:
    id: strawberry.ID
    name: str
    prefix: str = strawberry.field(description="The key's first characters, to tell keys apart.")
    scopes: list[ApiKeyScope] = strawberry.field(
        directives=bounded(len(ApiKeyScope)), description="Each once."
    )
    rate_per_minute: int = strawberry.field(description="Requests per minute (fixed window).")
    daily_quota: int = strawberry.field(description="Requests per day, reset at midnight (UTC+8).")
    created_at: datetime
    last_used_at: datetime | None = strawberry.field(description="To the minute.")
    revoked_at: datetime | None

    @classmethod
    def of(cls, row: models.ApiKey) -> Self:
        return cls(
            id=strawberry.ID(global_id("ApiKey", row.id)),
            name=row.name,
            prefix=row.prefix,
            scopes=[ApiKeyScope(s) for s in row.scopes],
            rate_per_minute=row.rate_per_minute,
            daily_quota=row.daily_quota,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            revoked_at=row.revoked_at,
        )


@strawberry.type(description="One attempt to deliver one event to one endpoint.")
class WebhookDelivery:
    id: strawberry.ID
    webhook_message_id: str = strawberry.field(
        description="The webhook-id header: the same for every attempt of one message."
    )
    event: str = strawberry.field(description="The body's `type`, e.g. service.reviewed.")
    attempt: int
    succeeded: bool = strawberry.field(description="The endpoint answered 2xx.")
    will_retry: bool = strawberry.field(
        description="Failed, and another attempt follows (exponential backoff)."
    )
    status_code: int | None = strawberry.field(description="Null when nothing answered.")
    duration_ms: int
    error: str = strawberry.field(description="What failed: timeout, HTTP 500, refused address.")
    at: datetime

    @classmethod
    def of(cls, row: models.WebhookDelivery) -> Self:
        return cls(
            id=strawberry.ID(global_id("WebhookDelivery", row.id)),
            webhook_message_id=row.webhook_id,
            event=row.event,
            attempt=row.attempt,
            succeeded=row.succeeded,
            will_retry=row.will_retry,
            status_code=row.status_code,
            duration_ms=row.duration_ms,
            error=row.error,
            at=row.at,
        )


WebhookDeliveryConnection = Connection[WebhookDelivery]


@strawberry.type(
    description=(
        "An endpoint receiving signed events (Standard Webhooks: webhook-id, "
        "webhook-timestamp, webhook-signature `v1,<base64 HMAC-SHA256 of id.timestamp.body>`)."
    )
)
class Webhook:
    id: strawberry.ID
    url: str
    events: list[WebhookEvent] = strawberry.field(
        directives=bounded(len(SUBSCRIBABLE)), description="Each once; never webhook.test."
    )
    created_at: datetime
    secret_rotated_at: datetime | None
    previous_secret_expires_at: datetime | None = strawberry.field(
        description="Until then the old secret signs too (a second v1 entry in the header)."
    )
    _model: strawberry.Private[models.WebhookEndpoint]

    @classmethod
    def of(cls, row: models.WebhookEndpoint) -> Self:
        expires = row.previous_secret_expires_at if row.previous_secret_sealed else None
        return cls(
            id=strawberry.ID(global_id("Webhook", row.id)),
            url=row.url,
            events=[WebhookEvent(e) for e in row.events],
            created_at=row.created_at,
            secret_rotated_at=row.secret_rotated_at,
            previous_secret_expires_at=expires,
            _model=row,
        )

    @strawberry.field(description="The delivery log, newest first; `first` at most 50.")
    async def deliveries(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> WebhookDeliveryConnection:
        request = page_request(first, after, cap=info.context.resources.settings.max_page_size)
        try:
            page = await provider_service.deliveries(
                self._model.id, first=request.first, after=request.after
            )
        except ValueError:
            return WebhookDeliveryConnection(
                edges=[], page_info=PageInfo(has_next_page=False, end_cursor=None)
            )
        edges, page_info = connection_of(page, WebhookDelivery.of, request.kind)
        return WebhookDeliveryConnection(edges=edges, page_info=page_info)


@strawberry.type(
    description=(
        "An organisation offering social services beside the government's. Anyone sees "
        "approved ones (name, credit code); members and staff see the rest."
    )
)
class Provider(relay.Node):
    id: relay.NodeID[str]
    name: str
    credit_code: str = strawberry.field(description="统一社会信用代码 (GB 32100)")
    status: ProviderStatus
    created_at: datetime
    reviewed_at: datetime | None
    demo: bool = strawberry.field(description="Demo data: not a real organisation.")
    _model: strawberry.Private[models.Provider]

    @classmethod
    def of(cls, row: models.Provider) -> Self:
        return cls(
            id=str(row.id),
            name=row.name,
            credit_code=row.credit_code,
            status=row.status,
            created_at=row.created_at,
            reviewed_at=row.reviewed_at,
            demo=row.demo,
            _model=row,
        )

    @strawberry.field(description="Why it was rejected or suspended; members and staff only.")
    async def review_reason(self, info: Info) -> str | None:
        return self._model.review_reason if await _insider(info, self._model.id) else None

    @strawberry.field(description="The contact person, masked (张*); members and staff only.")
    async def contact_name_masked(self, info: Info) -> str | None:
        return self._model.contact_name_masked if await _insider(info, self._model.id) else None

    @strawberry.field(description="The contact phone, masked; members and staff only.")
    async def contact_phone_masked(self, info: Info) -> str | None:
        return self._model.contact_phone_masked if await _insider(info, self._model.id) else None

    @strawberry.field(
        directives=MEMBERS.directives,
        description=MEMBERS.describe("Members and staff only (else empty); the owner first."),
    )
    async def members(
        self, info: Info, first: int | None = MEMBERS.default
    ) -> list[ProviderMember]:
        size = MEMBERS.size(first)
        if not await _insider(info, self._model.id):
            return []
        rows = (await info.context.loaders.providers.members.load(self._model.id))[:size]
        return [ProviderMember.of(row) for row in rows]

    @strawberry.field(
        directives=INVITATIONS.directives,
        description=INVITATIONS.describe(
            "Invitations not yet accepted nor expired, newest first; OWNERs only (else empty)."
        ),
    )
    async def invitations(
        self, info: Info, first: int | None = INVITATIONS.default
    ) -> list[ProviderInvitation]:
        size = INVITATIONS.size(first)
        if not await _owner(info, self._model.id):
            return []
        rows = await provider_service.open_invitations(info.context.resources, self._model.id)
        return [ProviderInvitation.of(row) for row in rows[:size]]

    @strawberry.field(
        directives=API_KEYS.directives,
        description=API_KEYS.describe(
            "Its API keys, newest first (revoked ones too); OWNERs only."
        ),
    )
    async def api_keys(self, info: Info, first: int | None = API_KEYS.default) -> list[ApiKey]:
        size = API_KEYS.size(first)
        if not await _owner(info, self._model.id):
            return []
        rows = await info.context.loaders.providers.api_keys.load(self._model.id)
        return [ApiKey.of(row) for row in rows[:size]]

    @strawberry.field(
        directives=WEBHOOKS.directives,
        description=WEBHOOKS.describe("Its webhook endpoints, oldest first; OWNERs only."),
    )
    async def webhooks(self, info: Info, first: int | None = WEBHOOKS.default) -> list[Webhook]:
        size = WEBHOOKS.size(first)
        if not await _owner(info, self._model.id):
            return []
        rows = await info.context.loaders.providers.webhooks.load(self._model.id)
        return [Webhook.of(row) for row in rows[:size]]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        ids = [_uuid(n) for n in node_ids]
        rows = {
            p.id: p for p in await provider_service.readable_providers(info.context.principal, ids)
        }
        return [cls.of(rows[i]) if i in rows else None for i in ids]


@strawberry.type(description="Where the service opens.")
class ProviderLink:
    kind: LinkKind
    target: str = strawberry.field(
        description="H5: the https URL; MINI_PROGRAM: the page path; PHONE: the number (digits)."
    )
    app_id: str | None = strawberry.field(description="MINI_PROGRAM only: the app id (wx...).")


@strawberry.type(description="A change in a service's life: who did what, when.")
class ProviderServiceEvent:
    type: ProviderEventType
    status: str
    note: str = strawberry.field(description="A reviewer's reason, if any.")
    by_api_key: bool = strawberry.field(description="A provider system (API key) acted.")
    at: datetime


@strawberry.type(
    description=(
        "A social service offered by a third party (utilities, clinics, banks, 家政), shown "
        "beside government services and marked as such (`socialService`, `disclaimer`)."
    )
)
class ProviderService(relay.Node):
    id: relay.NodeID[str]
    name: str
    description: str
    category: ProviderCategory
    audiences: list[Audience] = strawberry.field(
        directives=bounded(len(Audience)), description="PERSON, ORGANISATION or both."
    )
    opening_hours: str = strawberry.field(description="As the provider writes it; may be empty.")
    link: ProviderLink
    status: ProviderServiceStatus
    published_at: datetime | None
    updated_at: datetime
    social_service: bool = strawberry.field(
        description="Always true: a third party's service, not a government item."
    )
    _model: strawberry.Private[models.ProviderService]

    @classmethod
    def of(cls, row: models.ProviderService) -> Self:
        audiences = [
            audience
            for audience, offered in (
                (Audience.PERSON, row.for_persons),
                (Audience.ORGANISATION, row.for_organisations),
            )
            if offered
        ]
        return cls(
            id=str(row.id),
            name=row.name,
            description=row.description,
            category=row.category,
            audiences=audiences,
            opening_hours=row.opening_hours,
            link=ProviderLink(
                kind=row.link_kind, target=row.link_target, app_id=row.link_app_id or None
            ),
            status=row.status,
            published_at=row.published_at,
            updated_at=row.updated_at,
            social_service=True,
            _model=row,
        )

    @strawberry.field(
        directives=bounded(MAX_SERVICE_THEMES),
        description=(
            f"Codes of the themes it is listed under (LIVING, HOUSING ...); at most "
            f"{MAX_SERVICE_THEMES}."
        ),
    )
    async def theme_codes(self, info: Info) -> list[str]:
        links = await info.context.loaders.providers.service_themes.load(self._model.id)
        return [link.theme_code for link in links]

    @strawberry.field(
        directives=bounded(MAX_REGIONS),
        description=(
            f"Where it is offered (and everywhere below those regions); at most {MAX_REGIONS}."
        ),
    )
    async def regions(self, info: Info) -> list[Region]:
        rows = await info.context.loaders.providers.service_regions.load(self._model.id)
        return [Region.of(row) for row in rows]

    @strawberry.field
    async def provider(self, info: Info) -> Provider:
        row = await info.context.loaders.providers.provider.load(self._model.provider_id)
        assert row is not None  # a foreign key
        return Provider.of(row)

    @strawberry.field(description="zh-CN: show it with the service (who answers for it).")
    async def disclaimer(self, info: Info) -> str:
        row = await info.context.loaders.providers.provider.load(self._model.provider_id)
        return DISCLAIMER.format(provider=row.name if row else "")

    @strawberry.field(description="The reviewer's reason (rejected, suspended); insiders only.")
    async def review_reason(self, info: Info) -> str | None:
        insider = await _insider(info, self._model.provider_id)
        return self._model.review_reason if insider else None

    @strawberry.field(description="WeChat's verdict on the text; members and staff only.")
    async def content_check(self, info: Info) -> ContentCheck | None:
        insider = await _insider(info, self._model.provider_id)
        return self._model.content_check if insider else None

    @strawberry.field(description="When it was last submitted for review; insiders only.")
    async def submitted_at(self, info: Info) -> datetime | None:
        insider = await _insider(info, self._model.provider_id)
        return self._model.submitted_at if insider else None

    @strawberry.field(
        directives=SERVICE_EVENTS.directives,
        description=SERVICE_EVENTS.describe("Its history, oldest first; members and staff only."),
    )
    async def events(
        self, info: Info, first: int | None = SERVICE_EVENTS.default
    ) -> list[ProviderServiceEvent]:
        size = SERVICE_EVENTS.size(first)
        if not await _insider(info, self._model.provider_id):
            return []
        rows = (await info.context.loaders.providers.service_events.load(self._model.id))[:size]
        return [
            ProviderServiceEvent(
                type=row.type,
                status=row.status,
                note=row.note,
                by_api_key=row.api_key_id is not None,
                at=row.at,
            )
            for row in rows
        ]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        ids = [_uuid(n) for n in node_ids]
        rows = {
            s.id: s for s in await provider_service.readable_services(info.context.principal, ids)
        }
        return [cls.of(rows[i]) if i in rows else None for i in ids]


@strawberry.type(description="A page of social services; see `providerServices`.")
class ProviderServiceConnection(Connection[ProviderService]):
    pass


ProviderConnection = Connection[Provider]


@strawberry.type(description="A resident's consent to share fields with a provider's service.")
class HandoffConsent:
    id: strawberry.ID
    fields: list[HandoffField] = strawberry.field(
        directives=bounded(len(HandoffField)), description="What was shared (or offered)."
    )
    granted_at: datetime
    code_expires_at: datetime
    exchanged_at: datetime | None = strawberry.field(
        description="When the provider received the fields; null: it never did."
    )
    withdrawn_at: datetime | None
    active: bool = strawberry.field(description="The code can still be exchanged.")
    _model: strawberry.Private[models.HandoffConsent]

    @classmethod
    def of(cls, row: models.HandoffConsent, now: datetime) -> Self:
        return cls(
            id=strawberry.ID(global_id("HandoffConsent", row.id)),
            fields=[HandoffField(f) for f in row.fields_shared],
            granted_at=row.granted_at,
            code_expires_at=row.code_expires_at,
            exchanged_at=row.exchanged_at,
            withdrawn_at=row.withdrawn_at,
            active=handoff.active(row, now),
            _model=row,
        )

    @strawberry.field(description="To whom: the provider's name.")
    async def provider_name(self, info: Info) -> str:
        row = await info.context.loaders.providers.provider.load(self._model.provider_id)
        return row.name if row else ""

    @strawberry.field(description="For which service: its name (even if no longer listed).")
    async def service_name(self, info: Info) -> str:
        row = await info.context.loaders.providers.service.load(self._model.service_id)
        return row.name if row else ""


HandoffConsentConnection = Connection[HandoffConsent]


@strawberry.type(
    description=(
        "Consent given: open `link` (H5 and mini-program links carry the code as rb_handoff); "
        "for a PHONE link, read `handoffCode` to the provider. The code works once, for minutes."
    )
)
class HandoffGrant:
    consent: HandoffConsent
    handoff_code: str = strawberry.field(
        description="12 characters (Crockford base32), one use. (Not `code`: errors use that.)"
    )
    expires_at: datetime
    link: ProviderLink

    @classmethod
    def of(cls, found: Grant, now: datetime) -> Self:
        service = found.service
        return cls(
            consent=HandoffConsent.of(found.consent, now),
            handoff_code=found.code,
            expires_at=found.consent.code_expires_at,
            link=ProviderLink(
                kind=service.link_kind,
                target=found.link_target,
                app_id=service.link_app_id or None,
            ),
        )


@strawberry.type(description="What the resident consented to share, for the provider, once.")
class HandoffData:
    handoff_id: strawberry.ID
    fields: list[HandoffField] = strawberry.field(
        directives=bounded(len(HandoffField)), description="Each once."
    )
    name: str | None = strawberry.field(description="The verified real name, if consented.")
    phone: str | None = strawberry.field(description="The mobile number (+86...), if consented.")
    granted_at: datetime

    @classmethod
    def of(cls, shared: SharedData) -> Self:
        return cls(
            handoff_id=strawberry.ID(global_id("HandoffConsent", shared.consent.id)),
            fields=[HandoffField(f) for f in shared.consent.fields_shared],
            name=shared.name,
            phone=shared.phone,
            granted_at=shared.consent.granted_at,
        )


@strawberry.type(description="An API key and, this once, the key itself.")
class CreatedApiKey:
    api_key: ApiKey
    secret: str = strawberry.field(
        description="rb_pk_...: shown only now, stored only as a keyed hash. Keep it secret."
    )


@strawberry.type(description="An endpoint and, this once, its signing secret (whsec_...).")
class WebhookSecret:
    webhook: Webhook
    secret: str = strawberry.field(description="whsec_<base64>: shown only now.")

    @classmethod
    def of(cls, issued: IssuedSecret) -> Self:
        return cls(webhook=Webhook.of(issued.endpoint), secret=issued.secret)


@strawberry.type
class WebhookTestQueued:
    webhook: Webhook
    webhook_message_id: str = strawberry.field(
        description="The webhook-id of the queued webhook.test message (see deliveries)."
    )


@strawberry.type
class WebhookDeleted:
    webhook_id: strawberry.ID


# -- resolvers other domains' types add (a theme's and a plan's social services)


async def theme_provider_services(
    root: Any,
    info: Info,
    region_code: str | None = None,
    first: int | None = THEME_SERVICES.default,
) -> list[ProviderService]:
    size = THEME_SERVICES.size(first)
    code = getattr(root, "code", "")
    rows = await info.context.loaders.providers.theme_services.load((code, region_code))
    return [ProviderService.of(row) for row in rows[:size]]


async def plan_provider_services(root: Any, info: Info) -> list[ProviderService]:
    plan = root._plan
    rows = await overlay.for_scenario(plan.definition, plan.answers.values, plan.region)
    return [ProviderService.of(row) for row in rows]


THEME_PROVIDER_SERVICES = strawberry.field(
    resolver=theme_provider_services,
    directives=THEME_SERVICES.directives,
    description=THEME_SERVICES.describe(
        "Social services (third parties') listed under the theme, offered in `regionCode` or "
        "a region above it (any region without one), by name."
    ),
)
PLAN_PROVIDER_SERVICES = strawberry.field(
    resolver=plan_provider_services,
    directives=bounded(overlay.MAX_PER_PLAN),
    description=(
        "Social services the answers lead to (the scenario's categories, e.g. 水电气过户), "
        f"offered in the plan's region or above; at most {overlay.MAX_PER_PLAN}. Not part of "
        "the submission."
    ),
)


# -- inputs


@strawberry.input
class ProviderContactInput:
    name: str = strawberry.field(description="The contact person's real name.")
    phone: str = strawberry.field(description="Mobile, landline with area code, or 400 number.")


@strawberry.input
class RegisterProviderInput:
    name: str = strawberry.field(description="The organisation's registered name, 2-64 chars.")
    credit_code: str = strawberry.field(description="统一社会信用代码, 18 characters (GB 32100).")
    contact: ProviderContactInput


@strawberry.input
class SuspendProviderInput:
    provider_id: strawberry.ID
    reason: str = strawberry.field(
        description="Required, at most 200 characters; the members read it."
    )


@strawberry.input
class ReinstateProviderInput:
    provider_id: strawberry.ID
    reason: str | None = strawberry.field(default=None, description="At most 200 characters.")


@strawberry.input
class InviteProviderMemberInput:
    provider_id: strawberry.ID
    phone: str = strawberry.field(
        description="The invitee's mainland mobile number (+86 and separators tolerated)."
    )
    role: ProviderMemberRole = ProviderMemberRole.EDITOR


@strawberry.input
class AcceptProviderInvitationInput:
    invitation_id: strawberry.ID


@strawberry.input
class CancelProviderInvitationInput:
    invitation_id: strawberry.ID


@strawberry.input
class ChangeProviderMemberRoleInput:
    member_id: strawberry.ID
    role: ProviderMemberRole


@strawberry.input
class RemoveProviderMemberInput:
    member_id: strawberry.ID


@strawberry.input
class ReviewProviderInput:
    provider_id: strawberry.ID
    decision: Decision
    reason: str | None = strawberry.field(
        default=None, description="Required to REJECT; at most 200 characters."
    )


@strawberry.input
class ProviderLinkInput:
    kind: LinkKind
    target: str = strawberry.field(
        description=(
            "H5: an https URL on an allow-listed domain; MINI_PROGRAM: the page path "
            "(pages/index/index?x=1); PHONE: 138..., 028-..., 400-... or 95xxx."
        )
    )
    app_id: str | None = strawberry.field(
        default=None, description="MINI_PROGRAM only: wx followed by 16 characters."
    )


@strawberry.input
class CreateProviderServiceInput:
    provider_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only for members of several providers."
    )
    name: str = strawberry.field(description="2-40 characters.")
    description: str = strawberry.field(description="10-1000 characters.")
    category: ProviderCategory = ProviderCategory.OTHER
    theme_codes: list[str] = strawberry.field(
        default_factory=list, description="At most 5 theme codes (LIVING, HOUSING ...)."
    )
    region_codes: list[str] = strawberry.field(
        description="At least one, at most 30 region codes where it is offered (510100: city)."
    )
    audiences: list[Audience] = strawberry.field(
        default_factory=lambda: [Audience.PERSON], description="Default PERSON."
    )
    opening_hours: str = strawberry.field(default="", description="At most 100 characters.")
    link: ProviderLinkInput


@strawberry.input(description="Fields left out stay as they are; the service goes back to DRAFT.")
class UpdateProviderServiceInput:
    service_id: strawberry.ID
    name: str | None = None
    description: str | None = None
    category: ProviderCategory | None = None
    theme_codes: list[str] | None = None
    region_codes: list[str] | None = None
    audiences: list[Audience] | None = None
    opening_hours: str | None = None
    link: ProviderLinkInput | None = None


@strawberry.input
class SubmitProviderServiceInput:
    service_id: strawberry.ID


@strawberry.input
class ReviewProviderServiceInput:
    service_id: strawberry.ID
    decision: Decision
    reason: str | None = strawberry.field(
        default=None, description="Required to REJECT; at most 200 characters."
    )


@strawberry.input
class SuspendProviderServiceInput:
    service_id: strawberry.ID
    reason: str = strawberry.field(description="Required; at most 200 characters.")


@strawberry.input
class CreateApiKeyInput:
    provider_id: strawberry.ID | None = None
    name: str = strawberry.field(description="What the key is for, at most 40 characters.")
    scopes: list[ApiKeyScope]
    rate_per_minute: int | None = strawberry.field(
        default=None, description="Default and most: the platform's limit (120)."
    )
    daily_quota: int | None = strawberry.field(
        default=None, description="Default and most: the platform's quota (20,000)."
    )


@strawberry.input
class RevokeApiKeyInput:
    api_key_id: strawberry.ID


@strawberry.input
class RegisterWebhookInput:
    provider_id: strawberry.ID | None = None
    url: str = strawberry.field(description="https, on a public address; at most 500 chars.")
    events: list[WebhookEvent] = strawberry.field(description="At least one; not TEST.")


@strawberry.input
class RotateWebhookSecretInput:
    webhook_id: strawberry.ID


@strawberry.input
class DeleteWebhookInput:
    webhook_id: strawberry.ID


@strawberry.input
class TestWebhookDeliveryInput:
    webhook_id: strawberry.ID


@strawberry.input
class GrantHandoffConsentInput:
    service_id: strawberry.ID
    fields: list[HandoffField] = strawberry.field(description="At least one, each once.")


@strawberry.input
class WithdrawHandoffConsentInput:
    consent_id: strawberry.ID


@strawberry.input
class ExchangeHandoffCodeInput:
    provider_id: strawberry.ID | None = None
    code: str = strawberry.field(description="The resident's code (dashes and spaces ignored).")


@strawberry.input
class ProviderServiceFilter:
    keyword: str | None = strawberry.field(
        default=None,
        description=(
            "Words, pinyin or initials (shuidianqi, sdq); published services only, ranked; "
            "at most 50 characters."
        ),
    )
    category: ProviderCategory | None = None
    theme_code: str | None = None
    region_code: str | None = strawberry.field(
        default=None, description="Offered there (in that region or one above it)."
    )
    provider_id: strawberry.ID | None = None
    status: ProviderServiceStatus | None = strawberry.field(
        default=None,
        description=(
            "Members (their own) and staff only; SUBMITTED lists staff's review queue, oldest "
            "first."
        ),
    )


@strawberry.input
class ProviderFilter:
    status: ProviderStatus | None = strawberry.field(
        default=None, description="PENDING: the review queue."
    )


# -- errors and results


@strawberry.type
class RegisterProviderError(UserError):
    code: ProviderErrorCode


@strawberry.type
class ReviewProviderError(UserError):
    code: ProviderErrorCode


@strawberry.type
class SuspendProviderError(UserError):
    code: ProviderErrorCode


@strawberry.type
class ReinstateProviderError(UserError):
    code: ProviderErrorCode


@strawberry.type
class InviteProviderMemberError(UserError):
    code: ProviderErrorCode


@strawberry.type
class AcceptProviderInvitationError(UserError):
    code: ProviderErrorCode


@strawberry.type
class CancelProviderInvitationError(UserError):
    code: ProviderErrorCode


@strawberry.type
class ChangeProviderMemberRoleError(UserError):
    code: ProviderErrorCode


@strawberry.type
class RemoveProviderMemberError(UserError):
    code: ProviderErrorCode


@strawberry.type
class CreateProviderServiceError(UserError):
    code: ProviderErrorCode


@strawberry.type
class UpdateProviderServiceError(UserError):
    code: ProviderErrorCode


@strawberry.type
class SubmitProviderServiceError(UserError):
    code: ProviderErrorCode


@strawberry.type
class ReviewProviderServiceError(UserError):
    code: ProviderErrorCode


@strawberry.type
class SuspendProviderServiceError(UserError):
    code: ProviderErrorCode


@strawberry.type
class CreateApiKeyError(UserError):
    code: ProviderErrorCode


@strawberry.type
class RevokeApiKeyError(UserError):
    code: ProviderErrorCode


@strawberry.type
class RegisterWebhookError(UserError):
    code: ProviderErrorCode


@strawberry.type
class RotateWebhookSecretError(UserError):
    code: ProviderErrorCode


@strawberry.type
class DeleteWebhookError(UserError):
    code: ProviderErrorCode


@strawberry.type
class TestWebhookDeliveryError(UserError):
    code: ProviderErrorCode


@strawberry.type
class GrantHandoffConsentError(UserError):
    code: ProviderErrorCode


@strawberry.type
class WithdrawHandoffConsentError(UserError):
    code: ProviderErrorCode


@strawberry.type
class ExchangeHandoffCodeError(UserError):
    code: ProviderErrorCode


RegisterProviderResult = Annotated[
    Provider | RegisterProviderError, strawberry.union("RegisterProviderResult")
]
ReviewProviderResult = Annotated[
    Provider | ReviewProviderError, strawberry.union("ReviewProviderResult")
]
SuspendProviderResult = Annotated[
    Provider | SuspendProviderError, strawberry.union("SuspendProviderResult")
]
ReinstateProviderResult = Annotated[
    Provider | ReinstateProviderError, strawberry.union("ReinstateProviderResult")
]
InviteProviderMemberResult = Annotated[
    ProviderInvitation | InviteProviderMemberError, strawberry.union("InviteProviderMemberResult")
]
AcceptProviderInvitationResult = Annotated[
    Provider | AcceptProviderInvitationError, strawberry.union("AcceptProviderInvitationResult")
]
CancelProviderInvitationResult = Annotated[
    ProviderInvitation | CancelProviderInvitationError,
    strawberry.union("CancelProviderInvitationResult"),
]
ChangeProviderMemberRoleResult = Annotated[
    ProviderMember | ChangeProviderMemberRoleError,
    strawberry.union("ChangeProviderMemberRoleResult"),
]
RemoveProviderMemberResult = Annotated[
    Provider | RemoveProviderMemberError, strawberry.union("RemoveProviderMemberResult")
]
CreateProviderServiceResult = Annotated[
    ProviderService | CreateProviderServiceError, strawberry.union("CreateProviderServiceResult")
]
UpdateProviderServiceResult = Annotated[
    ProviderService | UpdateProviderServiceError, strawberry.union("UpdateProviderServiceResult")
]
SubmitProviderServiceResult = Annotated[
    ProviderService | SubmitProviderServiceError, strawberry.union("SubmitProviderServiceResult")
]
ReviewProviderServiceResult = Annotated[
    ProviderService | ReviewProviderServiceError, strawberry.union("ReviewProviderServiceResult")
]
SuspendProviderServiceResult = Annotated[
    ProviderService | SuspendProviderServiceError,
    strawberry.union("SuspendProviderServiceResult"),
]
CreateApiKeyResult = Annotated[
    CreatedApiKey | CreateApiKeyError, strawberry.union("CreateApiKeyResult")
]
RevokeApiKeyResult = Annotated[ApiKey | RevokeApiKeyError, strawberry.union("RevokeApiKeyResult")]
RegisterWebhookResult = Annotated[
    WebhookSecret | RegisterWebhookError, strawberry.union("RegisterWebhookResult")
]
RotateWebhookSecretResult = Annotated[
    WebhookSecret | RotateWebhookSecretError, strawberry.union("RotateWebhookSecretResult")
]
DeleteWebhookResult = Annotated[
    WebhookDeleted | DeleteWebhookError, strawberry.union("DeleteWebhookResult")
]
TestWebhookDeliveryResult = Annotated[
    WebhookTestQueued | TestWebhookDeliveryError, strawberry.union("TestWebhookDeliveryResult")
]
GrantHandoffConsentResult = Annotated[
    HandoffGrant | GrantHandoffConsentError, strawberry.union("GrantHandoffConsentResult")
]
WithdrawHandoffConsentResult = Annotated[
    HandoffConsent | WithdrawHandoffConsentError,
    strawberry.union("WithdrawHandoffConsentResult"),
]
ExchangeHandoffCodeResult = Annotated[
    HandoffData | ExchangeHandoffCodeError, strawberry.union("ExchangeHandoffCodeResult")
]
