"""Providers' webhook endpoints: registration, secret rotation, test deliveries; events written
to the outbox in the transaction that causes them; the outbox handler that signs each attempt
per Standard Webhooks, sends it and writes the delivery log."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import orjson

from integrations.providers import WebhookFailure, WebhookRefused
from resolvers import policy
from resolvers.outbox.service import Handler, Permanent, Retry
from resolvers.principal import Principal
from resolvers.providers import signing, validation
from resolvers.providers.errors import ProviderError
from resolvers.providers.errors import ProviderErrorCode as Code
from resolvers.resources import Resources
from storage.cache import Keys, RedisError, hit_rate_limit
from storage.models.outbox import OutboxMessage
from storage.models.providers import (
    ProviderEventType,
    ProviderStatus,
    WebhookEndpoint,
    WebhookEvent,
)
from storage.repositories import outbox as outbox_repo
from storage.repositories import providers as repo
from storage.transactions import atomic

log = logging.getLogger(__name__)

KIND = "provider.webhook"
SUBSCRIBABLE = tuple(event for event in WebhookEvent if event is not WebhookEvent.TEST)
TESTS_PER_MINUTE = 10
_SECRET_CONTEXT = "provider.webhook_secret"  # noqa: S105 (sealing context)


@dataclass(frozen=True, slots=True)
class IssuedSecret:
    """An endpoint with its signing secret, shown to the provider this once."""

    endpoint: WebhookEndpoint
    secret: str
    previous_expires_at: datetime | None = None


async def enqueue_event(
    provider_id: UUID, event: WebhookEvent, data: dict[str, Any], *, now: datetime
) -> int:
    """Inside the caller's transaction: one outbox row per endpoint of the provider subscribed
    to `event`. `data` holds ids, codes and statuses, never a resident's personal data."""
    endpoints = [e for e in await repo.webhooks_of([provider_id]) if event.value in e.events]
    for endpoint in endpoints:
        await _enqueue(endpoint.id, event, data, now=now)
    return len(endpoints)


async def _enqueue(
    endpoint_id: UUID, event: WebhookEvent, data: dict[str, Any], *, now: datetime
) -> str:
    webhook_id = f"msg_{uuid.uuid4().hex}"
    # Each delivery is its own stream: a failing endpoint must not hold back other messages,
    # and Standard Webhooks receivers never rely on order.
    await outbox_repo.enqueue(
        KIND,
        webhook_id,
        {
            "endpoint_id": str(endpoint_id),
            "webhook_id": webhook_id,
            "type": event.value,
            "timestamp": now.isoformat(),
            "data": data,
        },
        now=now,
    )
    return webhook_id


def _events(raw: Sequence[WebhookEvent]) -> list[str]:
    if not raw or len(raw) > len(SUBSCRIBABLE):
        raise ProviderError(Code.UNKNOWN_EVENT, "events")
    for index, event in enumerate(raw):
        if event not in SUBSCRIBABLE:
            raise ProviderError(Code.UNKNOWN_EVENT, f"events[{index}]")
    return sorted({event.value for event in raw})


async def register(
    resources: Resources,
    principal: Principal,
    provider_id: UUID,
    url: str,
    events: Sequence[WebhookEvent],
) -> IssuedSecret:
    """A new endpoint and its secret (shown once). Members of a provider still under review may
    register one: the review's outcome then arrives as `provider.reviewed`."""
    settings = resources.settings
    checked = validation.webhook_url(url, allow_loopback=settings.webhook_allow_loopback)
    wanted = _events(events)
    await _check_destination(resources, checked)
    secret = signing.new_secret()
    now = resources.clock()
    async with atomic():
        provider = await repo.lock_provider(provider_id)  # one registration at a time
        assert provider is not None
        if await repo.count_live_webhooks(provider_id) >= settings.webhook_max_per_provider:
            raise ProviderError(Code.TOO_MANY_WEBHOOKS, "url")
        endpoint = await repo.create_webhook(
            provider_id=provider_id,
            url=checked,
            events=wanted,
            secret_sealed=resources.keyring.seal(secret, context=_SECRET_CONTEXT),
            created_by_id=principal.account_id,
        )
        await repo.add_event(
            provider_id=provider_id,
            type=ProviderEventType.WEBHOOK_REGISTERED,
            actor_id=principal.account_id,
            at=now,
        )
    return IssuedSecret(endpoint=endpoint, secret=secret)


async def _check_destination(resources: Resources, url: str) -> None:
    """Where the host name leads now, by the rule sending applies (and applies again at every
    attempt): a name that resolves inside our network is refused at once. A name that does
    not resolve yet is accepted; sending checks it when it does."""
    sender = resources.webhooks
    if sender is None:
        return
    try:
        await sender.check(url)
    except WebhookRefused:
        raise ProviderError(Code.URL_NOT_ALLOWED, "url") from None
    except WebhookFailure:
        return


async def owned_endpoint(
    resources: Resources, principal: Principal, webhook_id: UUID, action: policy.Action
) -> WebhookEndpoint:
    """The endpoint if the caller is an OWNER of its provider; FORBIDDEN for its other members,
    NOT_FOUND for anyone else."""
    endpoint = await repo.webhook_by_id(webhook_id)
    subject = None
    if endpoint is not None:
        members, owners = await repo.member_roles(endpoint.provider_id)
        subject = policy.Subject(members=members, owners=owners)
    await policy.authorize_seen(
        resources,
        principal,
        action,
        subject,
        seen_by=policy.Action.PROVIDER_INSIDE_READ,
        hidden=ProviderError(Code.NOT_FOUND, "webhookId"),
        field="webhookId",
    )
    assert endpoint is not None
    return endpoint


async def rotate_secret(
    resources: Resources, principal: Principal, webhook_id: UUID
) -> IssuedSecret:
    """A new secret; the old one keeps signing (beside the new) for the grace period, so the
    provider can switch its receivers over without losing a message."""
    await owned_endpoint(resources, principal, webhook_id, policy.Action.WEBHOOK_ROTATE_SECRET)
    grace = resources.settings.webhook_secret_grace_seconds
    secret = signing.new_secret()
    now = resources.clock()
    async with atomic():
        endpoint = await repo.lock_webhook(webhook_id)
        if endpoint is None:
            raise ProviderError(Code.NOT_FOUND, "webhookId")
        expires = now + timedelta(seconds=grace) if grace else None
        await repo.set_webhook_fields(
            endpoint.id,
            secret_sealed=resources.keyring.seal(secret, context=_SECRET_CONTEXT),
            previous_secret_sealed=endpoint.secret_sealed if grace else None,
            previous_secret_expires_at=expires,
            secret_rotated_at=now,
        )
        await repo.add_event(
            provider_id=endpoint.provider_id,
            type=ProviderEventType.WEBHOOK_SECRET_ROTATED,
            actor_id=principal.account_id,
            at=now,
        )
    rotated = await repo.webhook_by_id(webhook_id)
    assert rotated is not None
    return IssuedSecret(endpoint=rotated, secret=secret, previous_expires_at=expires)


async def delete(resources: Resources, principal: Principal, webhook_id: UUID) -> WebhookEndpoint:
    """Stops deliveries to the endpoint, queued ones included; its log is kept."""
    endpoint = await owned_endpoint(resources, principal, webhook_id, policy.Action.WEBHOOK_DELETE)
    now = resources.clock()
    async with atomic():
        await repo.set_webhook_fields(endpoint.id, deleted_at=now)
        await repo.add_event(
            provider_id=endpoint.provider_id,
            type=ProviderEventType.WEBHOOK_DELETED,
            actor_id=principal.account_id,
            at=now,
        )
    endpoint.deleted_at = now
    return endpoint


async def send_test(resources: Resources, endpoint: WebhookEndpoint) -> str:
    """Queues a `webhook.test` message to one endpoint; returns its webhook-id."""
    try:
        limited = await hit_rate_limit(
            resources.redis,
            Keys.rate("webhook-test", str(endpoint.id)),
            limit=TESTS_PER_MINUTE,
            window=60,
        )
    except RedisError:
        raise ProviderError(Code.SERVICE_UNAVAILABLE) from None
    if not limited.allowed:
        raise ProviderError(Code.RATE_LIMITED, retry_after=max(limited.retry_after, 1))
    now = resources.clock()
    async with atomic():
        return await _enqueue(
            endpoint.id,
            WebhookEvent.TEST,
            {"webhookId": str(endpoint.id), "message": "蓉办回调测试消息"},
            now=now,
        )


# -- the outbox handler


def body_of(payload: dict[str, Any]) -> bytes:
    """The JSON body every attempt of one message sends (Standard Webhooks' envelope)."""
    return orjson.dumps(
        {"type": payload["type"], "timestamp": payload["timestamp"], "data": payload["data"]},
        option=orjson.OPT_SORT_KEYS,
    )


def signing_secrets(resources: Resources, endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    found = [resources.keyring.open(endpoint.secret_sealed, context=_SECRET_CONTEXT)]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret_sealed and expires is not None and expires > now:
        found.append(
            resources.keyring.open(endpoint.previous_secret_sealed, context=_SECRET_CONTEXT)
        )
    return found


async def _held(resources: Resources, endpoint: WebhookEndpoint, payload: dict[str, Any]) -> bool:
    """While its provider is suspended a message is held, not sent nor dropped: it goes back
    to the outbox when the provider is reinstated. Decided under the provider's lock, so a
    message is either held before a reinstatement releases the hold, or sent after it."""
    provider = await repo.provider_by_id(endpoint.provider_id)
    if provider is None or provider.status is not ProviderStatus.SUSPENDED:
        return False
    async with atomic():
        locked = await repo.lock_provider(endpoint.provider_id)
        if locked is None or locked.status is not ProviderStatus.SUSPENDED:
            return False
        await repo.hold_webhook_message(locked.id, payload, resources.clock())
    return True


async def release_held(provider_id: UUID, *, now: datetime) -> int:
    """Inside the reinstatement's transaction (the provider locked): the held messages back
    to the outbox with their webhook-ids, so receivers can still tell repeats apart."""
    released = await repo.release_held_messages(provider_id)
    for payload in released:
        await outbox_repo.enqueue(KIND, payload["webhook_id"], payload, now=now)
    return len(released)


async def deliver(resources: Resources, message: OutboxMessage) -> None:
    """One attempt: sign, POST, log. Any 2xx is success; anything else is retried with the
    dispatcher's backoff until the configured attempts are used up (then it is dead). While
    the provider is suspended the message is held instead (see `_held`)."""
    payload: dict[str, Any] = message.payload
    endpoint = await repo.webhook_by_id(UUID(payload["endpoint_id"]))
    if endpoint is None:
        return  # deleted since: nothing to send
    if await _held(resources, endpoint, payload):
        return
    sender = resources.webhooks
    if sender is None:
        raise Retry("no webhook sender configured")
    body = body_of(payload)
    now = resources.clock()
    # The wall clock, not resources.clock: receivers compare it with their own (5 minutes).
    timestamp = int(time.time())
    headers = signing.headers(
        signing_secrets(resources, endpoint, now), payload["webhook_id"], timestamp, body
    )
    attempt = message.attempts + 1
    will_retry = attempt < resources.settings.outbox_max_attempts
    started = time.perf_counter()
    status_code: int | None = None
    error = ""
    refused = False
    try:
        response = await sender.post(endpoint.url, body, headers)
        status_code = response.status_code
        duration = response.duration_ms
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code}"
    except WebhookFailure as failure:
        duration = int((time.perf_counter() - started) * 1000)
        error = str(failure)[:200]
        refused = isinstance(failure, WebhookRefused)
    await repo.record_delivery(
        endpoint_id=endpoint.id,
        outbox_id=message.id,
        webhook_id=payload["webhook_id"],
        event=payload["type"],
        attempt=attempt,
        succeeded=not error,
        will_retry=bool(error) and will_retry and not refused,
        status_code=status_code,
        duration_ms=duration,
        error=error,
        at=now,
    )
    if refused:
        # Resolving to an internal address is not a hiccup: retrying would only probe again.
        raise Permanent(f"webhook: {error}")
    if error:
        raise Retry(f"webhook: {error}")


HANDLERS: dict[str, Handler] = {KIND: deliver}
