"""Provider mutations: input in, service call, typed result or typed error out."""

from __future__ import annotations

from uuid import UUID

from resolvers import policy
from resolvers.catalogue.service import Audience
from resolvers.providers import handoff, keys, onboarding, services, webhooks
from resolvers.providers.errors import ProviderError
from resolvers.providers.ids import uuid_of
from resolvers.providers.services import LinkData, ProviderActor, ServiceData
from schema.context import Info
from schema.providers import (
    ApiKey,
    CreateApiKeyError,
    CreateApiKeyInput,
    CreateApiKeyResult,
    CreatedApiKey,
    CreateProviderServiceError,
    CreateProviderServiceInput,
    CreateProviderServiceResult,
    DeleteWebhookError,
    DeleteWebhookInput,
    DeleteWebhookResult,
    ExchangeHandoffCodeError,
    ExchangeHandoffCodeInput,
    ExchangeHandoffCodeResult,
    GrantHandoffConsentError,
    GrantHandoffConsentInput,
    GrantHandoffConsentResult,
    HandoffConsent,
    HandoffData,
    HandoffGrant,
    Provider,
    ProviderLinkInput,
    ProviderService,
    RegisterProviderError,
    RegisterProviderInput,
    RegisterProviderResult,
    RegisterWebhookError,
    RegisterWebhookInput,
    RegisterWebhookResult,
    ReviewProviderError,
    ReviewProviderInput,
    ReviewProviderResult,
    ReviewProviderServiceError,
    ReviewProviderServiceInput,
    ReviewProviderServiceResult,
    RevokeApiKeyError,
    RevokeApiKeyInput,
    RevokeApiKeyResult,
    RotateWebhookSecretError,
    RotateWebhookSecretInput,
    RotateWebhookSecretResult,
    SubmitProviderServiceError,
    SubmitProviderServiceInput,
    SubmitProviderServiceResult,
    SuspendProviderServiceError,
    SuspendProviderServiceInput,
    SuspendProviderServiceResult,
    TestWebhookDeliveryError,
    TestWebhookDeliveryInput,
    TestWebhookDeliveryResult,
    UpdateProviderServiceError,
    UpdateProviderServiceInput,
    UpdateProviderServiceResult,
    Webhook,
    WebhookDeleted,
    WebhookSecret,
    WebhookTestQueued,
    WithdrawHandoffConsentError,
    WithdrawHandoffConsentInput,
    WithdrawHandoffConsentResult,
)


def _provider_id(value: object | None) -> UUID | None:
    return None if value is None else uuid_of(str(value), "Provider", "providerId")


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


async def register_provider(info: Info, input: RegisterProviderInput) -> RegisterProviderResult:
    try:
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
    except ProviderError as error:
        return RegisterProviderError.of(error)
    return Provider.of(provider)


async def review_provider(info: Info, input: ReviewProviderInput) -> ReviewProviderResult:
    try:
        provider = await onboarding.review(
            info.context.resources,
            info.context.principal,
            uuid_of(input.provider_id, "Provider", "providerId"),
            input.decision,
            input.reason,
        )
    except ProviderError as error:
        return ReviewProviderError.of(error)
    return Provider.of(provider)


async def create_provider_service(
    info: Info, input: CreateProviderServiceInput
) -> CreateProviderServiceResult:
    try:
        actor = await _member_actor(info, input.provider_id, policy.Action.PROVIDER_SERVICE_CREATE)
        service = await services.create(
            info.context.resources,
            actor,
            _service_data(input),
        )
    except ProviderError as error:
        return CreateProviderServiceError.of(error)
    return ProviderService.of(service)


async def update_provider_service(
    info: Info, input: UpdateProviderServiceInput
) -> UpdateProviderServiceResult:
    try:
        service_id = uuid_of(input.service_id, "ProviderService", "serviceId")
        actor = await _actor_for_service(info, service_id, policy.Action.PROVIDER_SERVICE_UPDATE)
        service = await services.update(
            info.context.resources,
            actor,
            service_id,
            _service_data(input),
        )
    except ProviderError as error:
        return UpdateProviderServiceError.of(error)
    return ProviderService.of(service)


async def _actor_for_service(info: Info, service_id: UUID, action: policy.Action) -> ProviderActor:
    """The member acting on a service of one of their (approved) providers."""
    resources, principal = info.context.resources, info.context.principal
    provider_id = await services.provider_of_service(resources, principal, service_id, action)
    provider = await onboarding.acting_provider(resources, principal, provider_id, action)
    return ProviderActor(provider_id=provider.id, account_id=info.context.principal.account_id)


async def submit_provider_service(
    info: Info, input: SubmitProviderServiceInput
) -> SubmitProviderServiceResult:
    try:
        service_id = uuid_of(input.service_id, "ProviderService", "serviceId")
        actor = await _actor_for_service(info, service_id, policy.Action.PROVIDER_SERVICE_SUBMIT)
        service = await services.submit(info.context.resources, actor, service_id)
    except ProviderError as error:
        return SubmitProviderServiceError.of(error)
    return ProviderService.of(service)


async def review_provider_service(
    info: Info, input: ReviewProviderServiceInput
) -> ReviewProviderServiceResult:
    try:
        service = await services.review(
            info.context.resources,
            info.context.principal,
            uuid_of(input.service_id, "ProviderService", "serviceId"),
            input.decision,
            input.reason,
        )
    except ProviderError as error:
        return ReviewProviderServiceError.of(error)
    return ProviderService.of(service)


async def suspend_provider_service(
    info: Info, input: SuspendProviderServiceInput
) -> SuspendProviderServiceResult:
    try:
        service = await services.suspend(
            info.context.resources,
            info.context.principal,
            uuid_of(input.service_id, "ProviderService", "serviceId"),
            input.reason,
        )
    except ProviderError as error:
        return SuspendProviderServiceError.of(error)
    return ProviderService.of(service)


async def create_api_key(info: Info, input: CreateApiKeyInput) -> CreateApiKeyResult:
    try:
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
    except ProviderError as error:
        return CreateApiKeyError.of(error)
    return CreatedApiKey(api_key=ApiKey.of(issued.key), secret=issued.secret)


async def revoke_api_key(info: Info, input: RevokeApiKeyInput) -> RevokeApiKeyResult:
    try:
        key = await keys.revoke(
            info.context.resources,
            info.context.principal,
            uuid_of(input.api_key_id, "ApiKey", "apiKeyId"),
        )
    except ProviderError as error:
        return RevokeApiKeyError.of(error)
    return ApiKey.of(key)


async def register_webhook(info: Info, input: RegisterWebhookInput) -> RegisterWebhookResult:
    try:
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
    except ProviderError as error:
        return RegisterWebhookError.of(error)
    return WebhookSecret.of(issued)


async def rotate_webhook_secret(
    info: Info, input: RotateWebhookSecretInput
) -> RotateWebhookSecretResult:
    try:
        issued = await webhooks.rotate_secret(
            info.context.resources,
            info.context.principal,
            uuid_of(input.webhook_id, "Webhook", "webhookId"),
        )
    except ProviderError as error:
        return RotateWebhookSecretError.of(error)
    return WebhookSecret.of(issued)


async def delete_webhook(info: Info, input: DeleteWebhookInput) -> DeleteWebhookResult:
    try:
        endpoint = await webhooks.delete(
            info.context.resources,
            info.context.principal,
            uuid_of(input.webhook_id, "Webhook", "webhookId"),
        )
    except ProviderError as error:
        return DeleteWebhookError.of(error)
    return WebhookDeleted(webhook_id=Webhook.of(endpoint).id)


async def test_webhook_delivery(
    info: Info, input: TestWebhookDeliveryInput
) -> TestWebhookDeliveryResult:
    try:
        endpoint = await webhooks.owned_endpoint(
            info.context.resources,
            info.context.principal,
            uuid_of(input.webhook_id, "Webhook", "webhookId"),
            policy.Action.WEBHOOK_TEST,
        )
        message_id = await webhooks.send_test(info.context.resources, endpoint)
    except ProviderError as error:
        return TestWebhookDeliveryError.of(error)
    return WebhookTestQueued(webhook=Webhook.of(endpoint), webhook_message_id=message_id)


async def grant_handoff_consent(
    info: Info, input: GrantHandoffConsentInput
) -> GrantHandoffConsentResult:
    try:
        granted = await handoff.grant(
            info.context.resources,
            info.context.principal,
            uuid_of(input.service_id, "ProviderService", "serviceId"),
            input.fields,
        )
    except ProviderError as error:
        return GrantHandoffConsentError.of(error)
    return HandoffGrant.of(granted, info.context.resources.clock())


async def withdraw_handoff_consent(
    info: Info, input: WithdrawHandoffConsentInput
) -> WithdrawHandoffConsentResult:
    try:
        consent = await handoff.withdraw(
            info.context.resources,
            info.context.principal,
            uuid_of(input.consent_id, "HandoffConsent", "consentId"),
        )
    except ProviderError as error:
        return WithdrawHandoffConsentError.of(error)
    return HandoffConsent.of(consent, info.context.resources.clock())


async def exchange_handoff_code(
    info: Info, input: ExchangeHandoffCodeInput
) -> ExchangeHandoffCodeResult:
    try:
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
    except ProviderError as error:
        return ExchangeHandoffCodeError.of(error)
    return HandoffData.of(shared)
