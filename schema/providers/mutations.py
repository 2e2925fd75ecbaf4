"""Provider mutations: input in, service call, typed result or typed error out."""

from __future__ import annotations

from uuid import UUID

import strawberry

from resolvers import policy
from resolvers.catalogue.service import Audience
from resolvers.policy import Action
from resolvers.providers import handoff, keys, members, onboarding, services, suspension, webhooks
from resolvers.providers.errors import ProviderError, ProviderErrorCode
from resolvers.providers.services import LinkData, ProviderActor, ServiceData
from schema.authorised import authorised
from schema.context import Info
from schema.ids import uuid_of
from schema.providers.types import (
    AcceptProviderInvitationInput,
    AcceptProviderInvitationResult,
    ApiKey,
    CancelProviderInvitationInput,
    CancelProviderInvitationResult,
    ChangeProviderMemberRoleInput,
    ChangeProviderMemberRoleResult,
    CreateApiKeyInput,
    CreateApiKeyResult,
    CreatedApiKey,
    CreateProviderServiceInput,
    CreateProviderServiceResult,
    DeleteWebhookInput,
    DeleteWebhookResult,
    ExchangeHandoffCodeInput,
    ExchangeHandoffCodeResult,
    GrantHandoffConsentInput,
    GrantHandoffConsentResult,
    HandoffConsent,
    HandoffData,
    HandoffGrant,
    InviteProviderMemberInput,
    InviteProviderMemberResult,
    Provider,
    ProviderInvitation,
    ProviderLinkInput,
    ProviderMember,
    ProviderService,
    RegisterProviderInput,
    RegisterProviderResult,
    RegisterWebhookInput,
    RegisterWebhookResult,
    ReinstateProviderInput,
    ReinstateProviderResult,
    RemoveProviderMemberInput,
    RemoveProviderMemberResult,
    ReviewProviderInput,
    ReviewProviderResult,
    ReviewProviderServiceInput,
    ReviewProviderServiceResult,
    RevokeApiKeyInput,
    RevokeApiKeyResult,
    RotateWebhookSecretInput,
    RotateWebhookSecretResult,
    SubmitProviderServiceInput,
    SubmitProviderServiceResult,
    SuspendProviderInput,
    SuspendProviderResult,
    SuspendProviderServiceInput,
    SuspendProviderServiceResult,
    TestWebhookDeliveryInput,
    TestWebhookDeliveryResult,
    UpdateProviderServiceInput,
    UpdateProviderServiceResult,
    Webhook,
    WebhookDeleted,
    WebhookSecret,
    WebhookTestQueued,
    WithdrawHandoffConsentInput,
    WithdrawHandoffConsentResult,
)


def _uuid(value: str, type_name: str, field: str) -> UUID:
    return uuid_of(value, type_name, field, ProviderError, ProviderErrorCode.NOT_FOUND)


def _provider_id(value: object | None) -> UUID | None:
    return None if value is None else _uuid(str(value), "Provider", "providerId")


async def _member_actor(
    info: Info, provider_id: object | None, action: policy.Action
) -> ProviderActor:
    provider = await onboarding.acting_provider(
        info.context.resources, info.context.principal, _provider_id(provider_id), action
    )
    return ProviderActor(provider_id=provider.id, account_id=info.context.principal.account_id)


def _link(link: ProviderLinkInput | None) -> LinkData | None:
    if link is None:
        return None
    return LinkData(kind=link.kind, target=link.target, app_id=link.app_id)


def _audiences(audiences: list[Audience] | None) -> tuple[bool | None, bool | None]:
    if audiences is None:
        return None, None
    return Audience.PERSON in audiences, Audience.ORGANISATION in audiences


def _service_data(input: CreateProviderServiceInput | UpdateProviderServiceInput) -> ServiceData:
    """What a service is described with; on update, None leaves a field as it is."""
    persons, organisations = _audiences(input.audiences)
    return ServiceData(
        name=input.name,
        description=input.description,
        category=input.category,
        theme_codes=input.theme_codes,
        region_codes=input.region_codes,
        for_persons=persons,
        for_organisations=organisations,
        opening_hours=input.opening_hours,
        link=_link(input.link),
    )


async def _actor_for_service(info: Info, service_id: UUID, action: policy.Action) -> ProviderActor:
    """The member acting on a service of one of their (approved) providers."""
    resources, principal = info.context.resources, info.context.principal
    provider_id = await services.provider_of_service(resources, principal, service_id, action)
    provider = await onboarding.acting_provider(resources, principal, provider_id, action)
    return ProviderActor(provider_id=provider.id, account_id=info.context.principal.account_id)


@strawberry.type
class ProviderMutation:
    @strawberry.mutation(
        extensions=authorised(Action.PROVIDER_REGISTER),
        description=(
            "A resident registers an organisation (credit code checked, GB 32100) and becomes "
            "its first member; it is PENDING until staff review it. At most 5 a day."
        ),
    )
    async def register_provider(
        self, info: Info, input: RegisterProviderInput
    ) -> RegisterProviderResult:
        provider = await onboarding.register(
            info.context.resources,
            info.context.principal,
            onboarding.Registration(
                name=input.name,
                credit_code=input.credit_code,
                contact_name=input.contact.name,
                contact_phone=input.contact.phone,
            ),
        )
        return Provider.of(provider)

    @strawberry.mutation(
        extensions=authorised(Action.PROVIDER_REVIEW),
        description=(
            "REVIEWER (or ADMIN): APPROVE (members get the PROVIDER role at once) or REJECT "
            "with a reason."
        ),
    )
    async def review_provider(self, info: Info, input: ReviewProviderInput) -> ReviewProviderResult:
        provider = await onboarding.review(
            info.context.resources,
            info.context.principal,
            _uuid(input.provider_id, "Provider", "providerId"),
            input.decision,
            input.reason,
        )
        return Provider.of(provider)

    @strawberry.mutation(
        extensions=authorised(Action.PROVIDER_SUSPEND),
        description=(
            "REVIEWER (or ADMIN): suspends an APPROVED provider, with a reason its members "
            "read. At once its services leave residents' lists and search, its API keys are "
            "refused (401 PROVIDER_SUSPENDED) and its webhook messages are held."
        ),
    )
    async def suspend_provider(
        self, info: Info, input: SuspendProviderInput
    ) -> SuspendProviderResult:
        provider = await suspension.suspend(
            info.context.resources,
            info.context.principal,
            _uuid(input.provider_id, "Provider", "providerId"),
            input.reason,
        )
        return Provider.of(provider)

    @strawberry.mutation(
        extensions=authorised(Action.PROVIDER_REINSTATE),
        description=(
            "REVIEWER (or ADMIN): a SUSPENDED provider is APPROVED again; its published "
            "services, its keys and its held webhook messages come back."
        ),
    )
    async def reinstate_provider(
        self, info: Info, input: ReinstateProviderInput
    ) -> ReinstateProviderResult:
        provider = await suspension.reinstate(
            info.context.resources,
            info.context.principal,
            _uuid(input.provider_id, "Provider", "providerId"),
            input.reason,
        )
        return Provider.of(provider)

    @strawberry.mutation(
        extensions=authorised(Action.PROVIDER_MEMBER_INVITE),
        description=(
            "An OWNER invites whoever holds a mobile number, as EDITOR (default) or OWNER. "
            "The answer is the same whether or not the number has an account: the invitation "
            "waits 7 days for an account with that phone bound to accept it. 20 a day."
        ),
    )
    async def invite_provider_member(
        self, info: Info, input: InviteProviderMemberInput
    ) -> InviteProviderMemberResult:
        invitation = await members.invite(
            info.context.resources,
            info.context.principal,
            _uuid(input.provider_id, "Provider", "providerId"),
            input.phone,
            input.role,
        )
        return ProviderInvitation.of(invitation)

    @strawberry.mutation(
        extensions=authorised(Action.PROVIDER_INVITATION_ACCEPT),
        description=(
            "The invitee joins the provider with the invited role (see "
            "`myProviderInvitations`); the account's bound phone must be the invited one "
            "(PHONE_NOT_BOUND: bind it first)."
        ),
    )
    async def accept_provider_invitation(
        self, info: Info, input: AcceptProviderInvitationInput
    ) -> AcceptProviderInvitationResult:
        provider = await members.accept(
            info.context.resources,
            info.context.principal,
            _uuid(input.invitation_id, "ProviderInvitation", "invitationId"),
        )
        return Provider.of(provider)

    @strawberry.mutation(
        extensions=authorised(Action.PROVIDER_INVITATION_CANCEL),
        description=(
            "An OWNER takes back an invitation nobody accepted yet: accepting it afterwards "
            "fails with INVITATION_CANCELLED. Cancelling it again changes nothing; an accepted "
            "one is INVALID_STATE (remove the member instead)."
        ),
    )
    async def cancel_provider_invitation(
        self, info: Info, input: CancelProviderInvitationInput
    ) -> CancelProviderInvitationResult:
        invitation = await members.cancel_invitation(
            info.context.resources,
            info.context.principal,
            _uuid(input.invitation_id, "ProviderInvitation", "invitationId"),
        )
        return ProviderInvitation.of(invitation)

    @strawberry.mutation(
        extensions=authorised(Action.PROVIDER_MEMBER_CHANGE_ROLE),
        description="An OWNER makes a member OWNER or EDITOR; never the last OWNER an EDITOR.",
    )
    async def change_provider_member_role(
        self, info: Info, input: ChangeProviderMemberRoleInput
    ) -> ChangeProviderMemberRoleResult:
        member = await members.change_role(
            info.context.resources,
            info.context.principal,
            _uuid(input.member_id, "ProviderMember", "memberId"),
            input.role,
        )
        return ProviderMember.of(member)

    @strawberry.mutation(
        extensions=authorised(Action.PROVIDER_MEMBER_REMOVE),
        description=(
            "An OWNER removes a member (never the last OWNER); someone left in no provider "
            "loses the PROVIDER role at once."
        ),
    )
    async def remove_provider_member(
        self, info: Info, input: RemoveProviderMemberInput
    ) -> RemoveProviderMemberResult:
        provider = await members.remove(
            info.context.resources,
            info.context.principal,
            _uuid(input.member_id, "ProviderMember", "memberId"),
        )
        return Provider.of(provider)

    @strawberry.mutation(
        extensions=authorised(Action.PROVIDER_SERVICE_CREATE),
        description=(
            "A DRAFT social service. Name, description and hours go through WeChat's content "
            "check: risky text is refused (CONTENT_RISKY)."
        ),
    )
    async def create_provider_service(
        self, info: Info, input: CreateProviderServiceInput
    ) -> CreateProviderServiceResult:
        actor = await _member_actor(info, input.provider_id, policy.Action.PROVIDER_SERVICE_CREATE)
        service = await services.create(
            info.context.resources,
            actor,
            _service_data(input),
        )
        return ProviderService.of(service)

    @strawberry.mutation(
        extensions=authorised(Action.PROVIDER_SERVICE_UPDATE),
        description="Changes a service; it goes back to DRAFT (and off residents' lists).",
    )
    async def update_provider_service(
        self, info: Info, input: UpdateProviderServiceInput
    ) -> UpdateProviderServiceResult:
        service_id = _uuid(input.service_id, "ProviderService", "serviceId")
        actor = await _actor_for_service(info, service_id, policy.Action.PROVIDER_SERVICE_UPDATE)
        service = await services.update(
            info.context.resources,
            actor,
            service_id,
            _service_data(input),
        )
        return ProviderService.of(service)

    @strawberry.mutation(
        extensions=authorised(Action.PROVIDER_SERVICE_SUBMIT),
        description="Submits a DRAFT for staff review (SUBMITTED).",
    )
    async def submit_provider_service(
        self, info: Info, input: SubmitProviderServiceInput
    ) -> SubmitProviderServiceResult:
        service_id = _uuid(input.service_id, "ProviderService", "serviceId")
        actor = await _actor_for_service(info, service_id, policy.Action.PROVIDER_SERVICE_SUBMIT)
        service = await services.submit(info.context.resources, actor, service_id)
        return ProviderService.of(service)

    @strawberry.mutation(
        extensions=authorised(Action.PROVIDER_SERVICE_REVIEW),
        description=(
            "REVIEWER (or ADMIN): APPROVE (PUBLISHED: residents see it) or REJECT with a "
            "reason. Refused while WeChat's content check is PENDING."
        ),
    )
    async def review_provider_service(
        self, info: Info, input: ReviewProviderServiceInput
    ) -> ReviewProviderServiceResult:
        service = await services.review(
            info.context.resources,
            info.context.principal,
            _uuid(input.service_id, "ProviderService", "serviceId"),
            input.decision,
            input.reason,
        )
        return ProviderService.of(service)

    @strawberry.mutation(
        extensions=authorised(Action.PROVIDER_SERVICE_SUSPEND),
        description=(
            "REVIEWER (or ADMIN): takes a PUBLISHED service off residents' lists, with a reason."
        ),
    )
    async def suspend_provider_service(
        self, info: Info, input: SuspendProviderServiceInput
    ) -> SuspendProviderServiceResult:
        service = await services.suspend(
            info.context.resources,
            info.context.principal,
            _uuid(input.service_id, "ProviderService", "serviceId"),
            input.reason,
        )
        return ProviderService.of(service)

    @strawberry.mutation(
        extensions=authorised(Action.API_KEY_CREATE),
        description=(
            "A key for the provider's systems (the provider API under /provider-api/v1), "
            "shown once; scoped, rate-limited per minute and per day."
        ),
    )
    async def create_api_key(self, info: Info, input: CreateApiKeyInput) -> CreateApiKeyResult:
        provider = await onboarding.acting_provider(
            info.context.resources,
            info.context.principal,
            _provider_id(input.provider_id),
            policy.Action.API_KEY_CREATE,
        )
        issued = await keys.create(
            info.context.resources,
            info.context.principal,
            provider.id,
            input.name,
            input.scopes,
            input.rate_per_minute,
            input.daily_quota,
        )
        return CreatedApiKey(api_key=ApiKey.of(issued.key), secret=issued.secret)

    @strawberry.mutation(
        extensions=authorised(Action.API_KEY_REVOKE),
        description="Revokes a key; its next request is refused.",
    )
    async def revoke_api_key(self, info: Info, input: RevokeApiKeyInput) -> RevokeApiKeyResult:
        key = await keys.revoke(
            info.context.resources,
            info.context.principal,
            _uuid(input.api_key_id, "ApiKey", "apiKeyId"),
        )
        return ApiKey.of(key)

    @strawberry.mutation(
        extensions=authorised(Action.WEBHOOK_REGISTER),
        description=(
            "A member registers an endpoint for events; the signing secret (whsec_) is shown "
            "once. https to a public address only; at most 10 per provider."
        ),
    )
    async def register_webhook(
        self, info: Info, input: RegisterWebhookInput
    ) -> RegisterWebhookResult:
        provider = await onboarding.acting_provider(
            info.context.resources,
            info.context.principal,
            _provider_id(input.provider_id),
            policy.Action.WEBHOOK_REGISTER,
            approved=False,
        )
        issued = await webhooks.register(
            info.context.resources, info.context.principal, provider.id, input.url, input.events
        )
        return WebhookSecret.of(issued)

    @strawberry.mutation(
        extensions=authorised(Action.WEBHOOK_ROTATE_SECRET),
        description=(
            "A new signing secret, shown once; the old one also signs for 24 hours "
            "(RONGBAN_WEBHOOK_SECRET_GRACE_SECONDS), so both verify during the switch."
        ),
    )
    async def rotate_webhook_secret(
        self, info: Info, input: RotateWebhookSecretInput
    ) -> RotateWebhookSecretResult:
        issued = await webhooks.rotate_secret(
            info.context.resources,
            info.context.principal,
            _uuid(input.webhook_id, "Webhook", "webhookId"),
        )
        return WebhookSecret.of(issued)

    @strawberry.mutation(
        extensions=authorised(Action.WEBHOOK_DELETE),
        description="Stops deliveries to an endpoint, queued ones included.",
    )
    async def delete_webhook(self, info: Info, input: DeleteWebhookInput) -> DeleteWebhookResult:
        endpoint = await webhooks.delete(
            info.context.resources,
            info.context.principal,
            _uuid(input.webhook_id, "Webhook", "webhookId"),
        )
        return WebhookDeleted(webhook_id=Webhook.of(endpoint).id)

    @strawberry.mutation(
        extensions=authorised(Action.WEBHOOK_TEST),
        description="Queues a webhook.test message to one endpoint (10 a minute); see deliveries.",
    )
    async def test_webhook_delivery(
        self, info: Info, input: TestWebhookDeliveryInput
    ) -> TestWebhookDeliveryResult:
        endpoint = await webhooks.owned_endpoint(
            info.context.resources,
            info.context.principal,
            _uuid(input.webhook_id, "Webhook", "webhookId"),
            policy.Action.WEBHOOK_TEST,
        )
        message_id = await webhooks.send_test(info.context.resources, endpoint)
        return WebhookTestQueued(webhook=Webhook.of(endpoint), webhook_message_id=message_id)

    @strawberry.mutation(
        extensions=authorised(Action.HANDOFF_GRANT),
        description=(
            "A resident opening a social service shares chosen fields with its provider: a "
            "consent record and a one-time code (valid 10 minutes) the provider exchanges for "
            "exactly those fields. Without it nothing is shared."
        ),
    )
    async def grant_handoff_consent(
        self, info: Info, input: GrantHandoffConsentInput
    ) -> GrantHandoffConsentResult:
        granted = await handoff.grant(
            info.context.resources,
            info.context.principal,
            _uuid(input.service_id, "ProviderService", "serviceId"),
            input.fields,
        )
        return HandoffGrant.of(granted, info.context.resources.clock())

    @strawberry.mutation(
        extensions=authorised(Action.HANDOFF_WITHDRAW),
        description=(
            "Withdraws a consent: an unused code stops working; a provider that already "
            "received the fields is told to delete them (handoff.withdrawn)."
        ),
    )
    async def withdraw_handoff_consent(
        self, info: Info, input: WithdrawHandoffConsentInput
    ) -> WithdrawHandoffConsentResult:
        consent = await handoff.withdraw(
            info.context.resources,
            info.context.principal,
            _uuid(input.consent_id, "HandoffConsent", "consentId"),
        )
        return HandoffConsent.of(consent, info.context.resources.clock())

    @strawberry.mutation(
        extensions=authorised(Action.HANDOFF_EXCHANGE),
        description=(
            "A provider's member exchanges a resident's code, once, for the consented fields "
            "(provider systems: POST /provider-api/v1/handoffs/exchange)."
        ),
    )
    async def exchange_handoff_code(
        self, info: Info, input: ExchangeHandoffCodeInput
    ) -> ExchangeHandoffCodeResult:
        provider = await onboarding.acting_provider(
            info.context.resources,
            info.context.principal,
            _provider_id(input.provider_id),
            policy.Action.HANDOFF_EXCHANGE,
        )
        shared = await handoff.exchange(
            info.context.resources,
            provider.id,
            input.code,
            account_id=info.context.principal.account_id,
        )
        return HandoffData.of(shared)
