"""Hand-off with consent: a resident opening a provider's service may share chosen fields with
it. The consent (what, to whom, when) comes with a one-time code that the provider exchanges
for exactly those fields, once, within minutes; withdrawn, it shares nothing more. Without a
consent nothing is shared."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

from resolvers import policy
from resolvers.ids import global_id
from resolvers.principal import Principal
from resolvers.providers.errors import ProviderError
from resolvers.providers.errors import ProviderErrorCode as Code
from resolvers.providers.onboarding import limit
from resolvers.providers.webhooks import enqueue_event
from resolvers.resources import Resources
from storage.cache import Keys, RedisError, hit_rate_limit
from storage.models.providers import (
    HandoffConsent,
    HandoffField,
    LinkKind,
    ProviderService,
    WebhookEvent,
)
from storage.repositories import providers as repo
from storage.transactions import atomic

# Crockford's base32 without the look-alikes (I L O U): readable over a phone line.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 12  # 60 bits, valid minutes, bound to one provider, rate-limited
CODE_PARAMETER = "rb_handoff"
FAILED_EXCHANGES = 20  # per provider in 10 minutes


@dataclass(frozen=True, slots=True)
class Grant:
    consent: HandoffConsent
    service: ProviderService
    code: str
    link_target: str  # the service's link with the code added (a phone link: unchanged)


@dataclass(frozen=True, slots=True)
class SharedData:
    consent: HandoffConsent
    name: str | None
    phone: str | None


def new_code() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(CODE_LENGTH))


def normalised(code: str) -> str:
    return "".join(code.split()).replace("-", "").upper()


def with_code(service: ProviderService, code: str) -> str:
    """The link the mini-program opens: H5 and mini-program pages get `rb_handoff=<code>`."""
    if service.link_kind is LinkKind.PHONE:
        return service.link_target
    if service.link_kind is LinkKind.MINI_PROGRAM:
        joiner = "&" if "?" in service.link_target else "?"
        return f"{service.link_target}{joiner}{CODE_PARAMETER}={code}"
    parts = urlsplit(service.link_target)
    query = f"{parts.query}&" if parts.query else ""
    return urlunsplit(
        (parts.scheme, parts.netloc, parts.path, f"{query}{CODE_PARAMETER}={code}", parts.fragment)
    )


async def grant(
    resources: Resources,
    principal: Principal,
    service_id: UUID,
    fields: Sequence[HandoffField],
) -> Grant:
    await policy.authorize(resources, principal, policy.Action.HANDOFF_GRANT)
    account_id = principal.account_id
    assert account_id is not None
    wanted = list(dict.fromkeys(fields))
    if not wanted or len(wanted) != len(fields):
        raise ProviderError(Code.INVALID_FIELDS, "fields")
    service = await repo.readable_service(_Anyone(), service_id)
    if service is None:
        raise ProviderError(Code.NOT_FOUND, "serviceId")
    account = await repo.account(account_id)
    if account is None or account.disabled:
        raise ProviderError(Code.UNAUTHENTICATED)
    if HandoffField.NAME in wanted and account.name_sealed is None:
        raise ProviderError(Code.NAME_UNAVAILABLE, "fields")
    if HandoffField.PHONE in wanted and account.phone_sealed is None:
        raise ProviderError(Code.PHONE_UNAVAILABLE, "fields")
    settings = resources.settings
    await limit(
        resources, "handoff", str(account_id), limit=settings.handoffs_per_hour, window=3600
    )
    code = new_code()
    now = resources.clock()
    async with atomic():
        consent = await repo.create_consent(
            account_id=account_id,
            provider_id=service.provider_id,
            service_id=service.id,
            fields_shared=[f.value for f in wanted],
            code_hash=resources.keyring.token_hash(code),
            code_expires_at=now + timedelta(seconds=settings.handoff_code_ttl),
            granted_at=now,
        )
        await enqueue_event(
            service.provider_id,
            WebhookEvent.HANDOFF_CREATED,
            {
                "handoffId": global_id("HandoffConsent", consent.id),
                "serviceId": global_id("ProviderService", service.id),
                "fields": consent.fields_shared,
                "expiresAt": consent.code_expires_at.isoformat(),
            },
            now=now,
        )
    return Grant(consent=consent, service=service, code=code, link_target=with_code(service, code))


async def withdraw(resources: Resources, principal: Principal, consent_id: UUID) -> HandoffConsent:
    """The code stops working at once; if the provider already has the data, it is told (a
    `handoff.withdrawn` webhook) to delete it. Withdrawing twice changes nothing."""
    consent = (
        await repo.consent_of(consent_id, principal.account_id) if principal.account_id else None
    )
    await policy.authorize_seen(
        resources,
        principal,
        policy.Action.HANDOFF_WITHDRAW,
        policy.Subject(owner_id=consent.account_id) if consent else None,
        seen_by=policy.Action.HANDOFF_WITHDRAW,
        hidden=ProviderError(Code.NOT_FOUND, "consentId"),
        field="consentId",
    )
    assert consent is not None
    assert principal.account_id is not None
    now = resources.clock()
    async with atomic():
        if await repo.withdraw_consent(consent.id, now) and consent.exchanged_at is not None:
            await enqueue_event(
                consent.provider_id,
                WebhookEvent.HANDOFF_WITHDRAWN,
                {
                    "handoffId": global_id("HandoffConsent", consent.id),
                    "serviceId": global_id("ProviderService", consent.service_id),
                    "fields": consent.fields_shared,
                },
                now=now,
            )
    fresh = await repo.consent_of(consent.id, principal.account_id)
    assert fresh is not None
    return fresh


async def exchange(
    resources: Resources,
    provider_id: UUID,
    code: str,
    *,
    key_id: UUID | None = None,
    account_id: UUID | None = None,
) -> SharedData:
    """The consented fields, once. Unknown, used, expired, withdrawn and other providers'
    codes all get the same INVALID_CODE; failures are counted per provider."""
    await _not_blocked(resources, provider_id)
    text = normalised(code)
    if len(text) != CODE_LENGTH or any(c not in _ALPHABET for c in text):
        await _failed(resources, provider_id)
    now = resources.clock()
    consent = await repo.claim_consent(
        resources.keyring.token_hash(text),
        provider_id,
        now=now,
        key_id=key_id,
        account_id=account_id,
    )
    if consent is None:
        await _failed(resources, provider_id)
    account = await repo.account(consent.account_id)
    if account is None:
        raise ProviderError(Code.INVALID_CODE, "code")
    keyring = resources.keyring
    name = phone = None
    if HandoffField.NAME.value in consent.fields_shared and account.name_sealed:
        name = keyring.open(account.name_sealed, context="account.name")
    if HandoffField.PHONE.value in consent.fields_shared and account.phone_sealed:
        phone = keyring.open(account.phone_sealed, context="account.phone")
    return SharedData(consent=consent, name=name, phone=phone)


async def _not_blocked(resources: Resources, provider_id: UUID) -> None:
    """After too many failed exchanges a provider's every exchange waits, right ones too:
    otherwise guessing would only be slowed down for the wrong guesses."""
    key = Keys.rate("handoff-exchange-failed", str(provider_id))
    try:
        failures = int(await resources.redis.get(key) or 0)
        wait = await resources.redis.ttl(key) if failures >= FAILED_EXCHANGES else 0
    except RedisError:
        raise ProviderError(Code.SERVICE_UNAVAILABLE) from None
    if failures >= FAILED_EXCHANGES:
        raise ProviderError(Code.RATE_LIMITED, retry_after=max(int(wait), 1))


async def _failed(resources: Resources, provider_id: UUID) -> NoReturn:
    """Counts a failed exchange and refuses it."""
    try:
        await hit_rate_limit(
            resources.redis,
            Keys.rate("handoff-exchange-failed", str(provider_id)),
            limit=FAILED_EXCHANGES,
            window=600,
        )
    except RedisError:
        raise ProviderError(Code.SERVICE_UNAVAILABLE) from None
    raise ProviderError(Code.INVALID_CODE, "code")


def active(consent: HandoffConsent, now: datetime) -> bool:
    """The code can still be exchanged."""
    return (
        consent.withdrawn_at is None
        and consent.exchanged_at is None
        and consent.code_expires_at > now
    )


class _Anyone:
    """Residents hand off to services anyone may see: published ones of approved providers."""

    account_id: UUID | None = None
    is_staff = False
    department_id: UUID | None = None
