"""API keys of provider systems: created and shown once, stored as keyed hashes, scoped,
revocable at once, with a per-minute rate limit and a daily quota per key in Redis."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from uuid import UUID

from resolvers import policy
from resolvers.calendar.service import CHINA, china_date
from resolvers.principal import Principal
from resolvers.providers import onboarding, validation
from resolvers.providers.errors import ProviderError
from resolvers.providers.errors import ProviderErrorCode as Code
from resolvers.resources import Resources
from storage.cache import Keys, RedisError, hit_rate_limit
from storage.models.providers import ApiKey, ApiKeyScope, ProviderEventType, ProviderStatus
from storage.repositories import providers as repo
from storage.transactions import atomic

PREFIX = "rb_pk_"
_SHOWN = len(PREFIX) + 8  # what lists show to tell keys apart


@dataclass(frozen=True, slots=True)
class IssuedKey:
    key: ApiKey
    secret: str  # the whole key, shown this once


@dataclass(frozen=True, slots=True)
class KeyPrincipal:
    """A provider system, acting only on its own provider's data and within its scopes."""

    key_id: UUID
    provider_id: UUID
    scopes: frozenset[ApiKeyScope]
    rate_per_minute: int
    daily_quota: int


async def create(
    resources: Resources,
    principal: Principal,
    provider_id: UUID,
    name: str,
    scopes: Sequence[ApiKeyScope],
    rate_per_minute: int | None,
    daily_quota: int | None,
) -> IssuedKey:
    settings = resources.settings
    label = validation.clean_text(name, longest=40, field="name", code=Code.INVALID_NAME)
    if not scopes or len(set(scopes)) != len(scopes):
        raise ProviderError(Code.INVALID_SCOPE, "scopes")
    rate = settings.api_key_rate_per_minute if rate_per_minute is None else rate_per_minute
    quota = settings.api_key_daily_quota if daily_quota is None else daily_quota
    if not 1 <= rate <= settings.api_key_rate_per_minute:
        raise ProviderError(Code.INVALID_INPUT, "ratePerMinute")
    if not 1 <= quota <= settings.api_key_daily_quota:
        raise ProviderError(Code.INVALID_INPUT, "dailyQuota")
    assert principal.account_id is not None
    secret = PREFIX + secrets.token_urlsafe(32)
    now = resources.clock()
    async with atomic():
        await repo.lock_provider(provider_id)  # the count below is exact under the lock
        if await repo.count_live_keys(provider_id) >= settings.api_key_max_per_provider:
            raise ProviderError(Code.TOO_MANY_KEYS)
        key = await repo.create_key(
            provider_id=provider_id,
            name=label,
            prefix=secret[:_SHOWN],
            key_hash=resources.keyring.token_hash(secret),
            scopes=sorted(scope.value for scope in scopes),
            rate_per_minute=rate,
            daily_quota=quota,
            created_by_id=principal.account_id,
        )
        await repo.add_event(
            provider_id=provider_id,
            type=ProviderEventType.API_KEY_CREATED,
            actor_id=principal.account_id,
            api_key_id=key.id,
            at=now,
        )
    return IssuedKey(key=key, secret=secret)


async def revoke(resources: Resources, principal: Principal, key_id: UUID) -> ApiKey:
    """Takes effect on the key's next request (keys are looked up on every request, never
    cached). Revoking a revoked key again changes nothing."""
    key = await repo.key_by_id(key_id)
    await onboarding.authorize_member(
        resources,
        principal,
        policy.Action.API_KEY_REVOKE,
        key.provider_id if key else None,
        ProviderError(Code.NOT_FOUND, "apiKeyId"),
    )
    assert key is not None
    assert principal.account_id is not None
    now = resources.clock()
    async with atomic():
        if await repo.revoke_key(key.id, at=now, by=principal.account_id):
            await repo.add_event(
                provider_id=key.provider_id,
                type=ProviderEventType.API_KEY_REVOKED,
                actor_id=principal.account_id,
                api_key_id=key.id,
                at=now,
            )
    revoked = await repo.key_by_id(key.id)
    assert revoked is not None
    return revoked


async def authenticate(resources: Resources, presented: str) -> KeyPrincipal | None:
    """The key behind `Authorization: Bearer rb_pk_...`, or None (unknown, revoked, or its
    provider not approved). Raises PROVIDER_SUSPENDED for a live key of a suspended provider:
    its system is told why it stopped working, and works again once the provider is
    reinstated."""
    if not presented.startswith(PREFIX) or len(presented) > 128:
        return None
    key = await repo.key_by_hash(resources.keyring.token_hash(presented))
    if key is None or key.revoked_at is not None:
        return None
    provider = await repo.provider_by_id(key.provider_id)
    if provider is not None and provider.status is ProviderStatus.SUSPENDED:
        raise ProviderError(Code.PROVIDER_SUSPENDED)
    if provider is None or provider.status is not ProviderStatus.APPROVED:
        return None
    await repo.touch_key(key.id, resources.clock())
    return KeyPrincipal(
        key_id=key.id,
        provider_id=key.provider_id,
        scopes=frozenset(ApiKeyScope(s) for s in key.scopes if s in ApiKeyScope._value2member_map_),
        rate_per_minute=key.rate_per_minute,
        daily_quota=key.daily_quota,
    )


async def admit(resources: Resources, key: KeyPrincipal, scope: ApiKeyScope) -> None:
    """Every request of a key: its scope, then its per-minute limit, then its quota for the
    day (China time, reset at midnight). Limits fail closed when Redis is away."""
    if scope not in key.scopes:
        raise ProviderError(Code.INSUFFICIENT_SCOPE)
    now = resources.clock()
    try:
        minute = await hit_rate_limit(
            resources.redis,
            Keys.rate("api-key-minute", str(key.key_id)),
            limit=key.rate_per_minute,
            window=60,
        )
        if not minute.allowed:
            raise ProviderError(Code.RATE_LIMITED, retry_after=max(minute.retry_after, 1))
        day = china_date(now)
        midnight = datetime.combine(day + timedelta(days=1), time(), tzinfo=CHINA)
        until_midnight = int((midnight - now).total_seconds())
        daily = await hit_rate_limit(
            resources.redis,
            Keys.rate("api-key-day", f"{key.key_id}:{day.isoformat()}"),
            limit=key.daily_quota,
            window=max(until_midnight, 1),
        )
    except RedisError:
        raise ProviderError(Code.SERVICE_UNAVAILABLE) from None
    if not daily.allowed:
        raise ProviderError(Code.RATE_LIMITED, retry_after=max(daily.retry_after, 1))
