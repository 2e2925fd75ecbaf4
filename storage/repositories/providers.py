"""Queries on providers, their services, keys, webhooks and hand-off consents (the only place
they are written). Row scoping is `readable_services` / `readable_providers`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from storage.models.accounts import Account, Role
from storage.models.catalogue import Region
from storage.models.providers import (
    ApiKey,
    HandoffConsent,
    HeldWebhookMessage,
    Provider,
    ProviderCategory,
    ProviderEvent,
    ProviderInvitation,
    ProviderMember,
    ProviderMemberRole,
    ProviderService,
    ProviderServiceRegion,
    ProviderServiceStatus,
    ProviderServiceTheme,
    ProviderStatus,
    WebhookDelivery,
    WebhookEndpoint,
)
from storage.models.scenarios import Theme
from storage.repositories.pagination import Page, Scalar, keyset_page
from storage.repositories.readers import Reader


def typed_cursor(after: Sequence[Scalar] | None, *kinds: str) -> list[Any] | None:
    """Cursor values back to their column types ("datetime", "text", "uuid"): compared as
    text, an ISO timestamp does not order like the database's own format. Raises ValueError
    for a cursor of another list."""
    if after is None:
        return None
    if len(after) != len(kinds) or not all(isinstance(value, str) for value in after):
        raise ValueError("cursor does not fit this list")
    typed: list[Any] = []
    for value, kind in zip(after, kinds, strict=True):
        assert isinstance(value, str)
        if kind == "datetime":
            typed.append(datetime.fromisoformat(value))
        elif kind == "uuid":
            typed.append(UUID(value))
        else:
            typed.append(value)
    return typed


# -- scoping: who may read which providers and services

VISIBLE = Q(status=ProviderServiceStatus.PUBLISHED, provider__status=ProviderStatus.APPROVED)


async def member_provider_ids(account_id: UUID | None) -> list[UUID]:
    if account_id is None:
        return []
    ids = await ProviderMember.filter(account_id=account_id).values_list("provider_id", flat=True)
    return [UUID(str(i)) for i in ids]


async def readable_services(reader: Reader) -> Q:
    """Residents and anyone: PUBLISHED services of APPROVED providers. Members: also every
    service of their own providers. Staff: everything but drafts (a provider's unfinished
    work is its own)."""
    if reader.is_staff:
        return ~Q(status=ProviderServiceStatus.DRAFT)
    own = await member_provider_ids(reader.account_id)
    if own:
        return Q(VISIBLE, Q(provider_id__in=own), join_type="OR")
    return VISIBLE


def own_services(provider_id: UUID) -> Q:
    """A provider system (API key) sees its own provider's services, every status."""
    return Q(provider_id=provider_id)


async def readable_providers(reader: Reader) -> Q:
    """APPROVED providers are public (name and credit code); members see their own in any
    status; staff see all."""
    if reader.is_staff:
        return Q()
    own = await member_provider_ids(reader.account_id)
    approved = Q(status=ProviderStatus.APPROVED)
    return Q(approved, Q(id__in=own), join_type="OR") if own else approved


async def readable_providers_by_ids(reader: Reader, ids: Sequence[UUID]) -> list[Provider]:
    return await Provider.filter(await readable_providers(reader), id__in=list(ids))


async def readable_services_by_ids(reader: Reader, ids: Sequence[UUID]) -> list[ProviderService]:
    return await ProviderService.filter(await readable_services(reader), id__in=list(ids))


# -- providers and members


async def providers_by_ids(ids: Sequence[UUID]) -> list[Provider]:
    return await Provider.filter(id__in=list(ids))


async def provider_by_id(provider_id: UUID) -> Provider | None:
    return await Provider.get_or_none(id=provider_id)


async def lock_provider(provider_id: UUID) -> Provider | None:
    return await Provider.filter(id=provider_id).select_for_update().first()


async def lock_provider_by_credit_code(code: str) -> Provider | None:
    return await Provider.filter(credit_code=code).select_for_update().first()


async def create_provider(**fields: Any) -> Provider:
    return await Provider.create(**fields)


async def move_provider(provider_id: UUID, *, expected: ProviderStatus, **changes: Any) -> bool:
    """Changes the row only if its status is still `expected` (the lock makes it certain on
    PostgreSQL; the condition keeps it so on SQLite)."""
    updated = await Provider.filter(id=provider_id, status=expected).update(
        **{"updated_at": datetime.now(UTC), **changes}
    )
    return updated == 1


async def add_member(provider_id: UUID, account_id: UUID, *, owner: bool) -> ProviderMember:
    return await ProviderMember.create(provider_id=provider_id, account_id=account_id, owner=owner)


async def members_of(provider_ids: Sequence[UUID]) -> list[ProviderMember]:
    return await ProviderMember.filter(provider_id__in=list(provider_ids)).order_by(
        "-owner", "added_at", "id"
    )


async def is_member(provider_id: UUID, account_id: UUID) -> bool:
    return await ProviderMember.exists(provider_id=provider_id, account_id=account_id)


async def member_roles(provider_id: UUID) -> tuple[frozenset[UUID], frozenset[UUID]]:
    """The accounts acting for a provider, and those of them who are its OWNERs."""
    rows = await ProviderMember.filter(provider_id=provider_id).values("account_id", "owner")
    members = frozenset(UUID(str(row["account_id"])) for row in rows)
    owners = frozenset(UUID(str(row["account_id"])) for row in rows if row["owner"])
    return members, owners


async def owned_provider_ids(account_id: UUID | None) -> list[UUID]:
    if account_id is None:
        return []
    ids = await ProviderMember.filter(account_id=account_id, owner=True).values_list(
        "provider_id", flat=True
    )
    return [UUID(str(i)) for i in ids]


async def member_by_id(member_id: UUID) -> ProviderMember | None:
    return await ProviderMember.get_or_none(id=member_id)


async def lock_members(provider_id: UUID) -> list[ProviderMember]:
    """Every member row of a provider, locked: role changes and removals counting its OWNERs
    take turns."""
    return await ProviderMember.filter(provider_id=provider_id).select_for_update().order_by("id")


async def set_member_role(member_id: UUID, role: ProviderMemberRole) -> None:
    await ProviderMember.filter(id=member_id).update(owner=role is ProviderMemberRole.OWNER)


async def remove_member(member_id: UUID) -> None:
    await ProviderMember.filter(id=member_id).delete()


async def memberships_count(account_id: UUID) -> int:
    return await ProviderMember.filter(account_id=account_id).count()


async def revoke_role(account_id: UUID, role: Role) -> bool:
    """Takes `role` from the account; True when it had it."""
    found = await Account.get_or_none(id=account_id)
    if found is None or role.value not in found.roles:
        return False
    await Account.filter(id=account_id).update(roles=[r for r in found.roles if r != role.value])
    return True


async def account_ids_by_phone_index(phone_index: str) -> list[UUID]:
    ids = await Account.filter(phone_index=phone_index).values_list("id", flat=True)
    return [UUID(str(i)) for i in ids]


# -- invitations


async def create_invitation(**fields: Any) -> ProviderInvitation:
    return await ProviderInvitation.create(**fields)


async def count_invitations_since(provider_id: UUID, since: datetime) -> int:
    return await ProviderInvitation.filter(provider_id=provider_id, created_at__gte=since).count()


async def lock_invitation(invitation_id: UUID) -> ProviderInvitation | None:
    return await ProviderInvitation.filter(id=invitation_id).select_for_update().first()


async def open_invitations_for_phone(phone_index: str, now: datetime) -> list[ProviderInvitation]:
    """Invitations of that phone not accepted nor expired, newest first (a handful)."""
    return await ProviderInvitation.filter(
        phone_index=phone_index,
        accepted_at__isnull=True,
        cancelled_at__isnull=True,
        expires_at__gt=now,
    ).order_by("-created_at", "id")


async def open_invitations_of(
    provider_ids: Sequence[UUID], now: datetime
) -> list[ProviderInvitation]:
    return await ProviderInvitation.filter(
        provider_id__in=list(provider_ids),
        accepted_at__isnull=True,
        cancelled_at__isnull=True,
        expires_at__gt=now,
    ).order_by("-created_at", "id")


async def accept_invitation(invitation_id: UUID, *, account_id: UUID, now: datetime) -> bool:
    updated = await ProviderInvitation.filter(
        id=invitation_id, accepted_at__isnull=True, cancelled_at__isnull=True, expires_at__gt=now
    ).update(accepted_at=now, accepted_by_id=account_id)
    return updated == 1


async def invitation_by_id(invitation_id: UUID) -> ProviderInvitation | None:
    return await ProviderInvitation.get_or_none(id=invitation_id)


async def cancel_invitation(invitation_id: UUID, *, account_id: UUID, now: datetime) -> bool:
    """Takes back an invitation nobody accepted yet (an expired one too: it stays closed)."""
    updated = await ProviderInvitation.filter(
        id=invitation_id, accepted_at__isnull=True, cancelled_at__isnull=True
    ).update(cancelled_at=now, cancelled_by_id=account_id)
    return updated == 1


async def providers_of_account(account_id: UUID, limit: int) -> list[Provider]:
    return await Provider.filter(members__account_id=account_id).order_by("name", "id").limit(limit)


def providers_with_status(status: ProviderStatus | None) -> QuerySet[Provider]:
    query = Provider.all()
    return query.filter(status=status) if status is not None else query


async def provider_page(
    status: ProviderStatus | None, *, first: int, after: Sequence[Scalar] | None
) -> Page[Provider]:
    """Oldest first: the review queue is worked from the front."""
    return await keyset_page(
        providers_with_status(status),
        order=("created_at",),
        first=first,
        after=typed_cursor(after, "datetime", "uuid"),
    )


async def grant_role(account_ids: Sequence[UUID], role: Role) -> list[UUID]:
    """Adds `role` to each account that lacks it; returns the accounts that changed."""
    changed = []
    for account in await Account.filter(id__in=list(account_ids)):
        if role.value not in account.roles:
            await Account.filter(id=account.id).update(roles=[*account.roles, role.value])
            changed.append(account.id)
    return changed


async def openids_of(account_ids: Sequence[UUID]) -> dict[UUID, str]:
    rows = await Account.filter(id__in=list(account_ids), wechat_openid__isnull=False).values(
        "id", "wechat_openid"
    )
    return {UUID(str(row["id"])): str(row["wechat_openid"]) for row in rows}


async def account(account_id: UUID) -> Account | None:
    return await Account.get_or_none(id=account_id)


async def add_event(**fields: Any) -> ProviderEvent:
    return await ProviderEvent.create(**fields)


async def events_of_services(service_ids: Sequence[UUID]) -> list[ProviderEvent]:
    return await ProviderEvent.filter(service_id__in=list(service_ids)).order_by("at", "id")


# -- services


async def services_by_ids(ids: Sequence[UUID]) -> list[ProviderService]:
    return await ProviderService.filter(id__in=list(ids))


async def service_by_id(service_id: UUID) -> ProviderService | None:
    return await ProviderService.get_or_none(id=service_id)


async def readable_service(reader: Reader, service_id: UUID) -> ProviderService | None:
    return await ProviderService.filter(await readable_services(reader), id=service_id).first()


async def lock_service(service_id: UUID) -> ProviderService | None:
    return await ProviderService.filter(id=service_id).select_for_update().first()


async def count_services(provider_id: UUID) -> int:
    return await ProviderService.filter(provider_id=provider_id).count()


async def create_service(
    fields: dict[str, Any], theme_codes: Sequence[str], region_ids: Sequence[UUID]
) -> ProviderService:
    service = await ProviderService.create(**fields)
    await _links(service.id, theme_codes, region_ids)
    return service


async def replace_links(
    service_id: UUID, theme_codes: Sequence[str] | None, region_ids: Sequence[UUID] | None
) -> None:
    if theme_codes is not None:
        await ProviderServiceTheme.filter(service_id=service_id).delete()
        await _links(service_id, theme_codes, [])
    if region_ids is not None:
        await ProviderServiceRegion.filter(service_id=service_id).delete()
        await _links(service_id, [], region_ids)


async def _links(service_id: UUID, theme_codes: Sequence[str], region_ids: Sequence[UUID]) -> None:
    if theme_codes:
        await ProviderServiceTheme.bulk_create(
            [ProviderServiceTheme(service_id=service_id, theme_code=c) for c in theme_codes]
        )
    if region_ids:
        await ProviderServiceRegion.bulk_create(
            [ProviderServiceRegion(service_id=service_id, region_id=r) for r in region_ids]
        )


async def move_service(
    service_id: UUID, *, expected: ProviderServiceStatus, **changes: Any
) -> bool:
    # A queryset update does not stamp auto_now fields: updated_at marks every change.
    updated = await ProviderService.filter(id=service_id, status=expected).update(
        **{"updated_at": datetime.now(UTC), **changes}
    )
    return updated == 1


async def set_service_fields(service_id: UUID, **changes: Any) -> None:
    await ProviderService.filter(id=service_id).update(
        **{"updated_at": datetime.now(UTC), **changes}
    )


async def theme_links(service_ids: Sequence[UUID]) -> list[ProviderServiceTheme]:
    return await ProviderServiceTheme.filter(service_id__in=list(service_ids)).order_by(
        "theme_code"
    )


async def region_links(service_ids: Sequence[UUID]) -> list[tuple[UUID, Region]]:
    links = await ProviderServiceRegion.filter(service_id__in=list(service_ids)).prefetch_related(
        "region"
    )
    pairs = [(link.service_id, link.region) for link in links]
    return sorted(pairs, key=lambda pair: pair[1].code)


async def existing_theme_codes(codes: Sequence[str]) -> set[str]:
    found = await Theme.filter(code__in=list(codes)).values_list("code", flat=True)
    return {str(code) for code in found}


@dataclass(frozen=True, slots=True)
class ServiceFilter:
    provider_id: UUID | None = None
    status: ProviderServiceStatus | None = None
    category: ProviderCategory | None = None
    theme_code: str | None = None
    region_ids: Sequence[UUID] | None = None  # offered in any of these (a region and above)
    ids: Sequence[UUID] | None = None


def services_matching(scope: Q, wanted: ServiceFilter) -> QuerySet[ProviderService]:
    query = ProviderService.filter(scope)
    if wanted.provider_id is not None:
        query = query.filter(provider_id=wanted.provider_id)
    if wanted.status is not None:
        query = query.filter(status=wanted.status)
    if wanted.category is not None:
        query = query.filter(category=wanted.category)
    if wanted.ids is not None:
        query = query.filter(id__in=list(wanted.ids))
    if wanted.theme_code is not None:
        query = query.filter(
            id__in=Subquery(
                ProviderServiceTheme.filter(theme_code=wanted.theme_code).values("service_id")
            )
        )
    if wanted.region_ids is not None:
        query = query.filter(
            id__in=Subquery(
                ProviderServiceRegion.filter(region_id__in=list(wanted.region_ids)).values(
                    "service_id"
                )
            )
        )
    return query


async def matching_ids(scope: Q, wanted: ServiceFilter) -> list[UUID]:
    ids = await services_matching(scope, wanted).values_list("id", flat=True)
    return [UUID(str(i)) for i in ids]


async def service_page(
    scope: Q,
    wanted: ServiceFilter,
    *,
    order: Sequence[str],
    first: int,
    after: Sequence[Scalar] | None,
) -> Page[ProviderService]:
    kinds = [_ORDER_KINDS[name.lstrip("-")] for name in order]
    return await keyset_page(
        services_matching(scope, wanted),
        order=order,
        first=first,
        after=typed_cursor(after, *kinds, "uuid"),
    )


_ORDER_KINDS = {"name": "text", "submitted_at": "datetime", "updated_at": "datetime"}


async def visible_for_themes(
    theme_codes: Sequence[str], region_ids: Sequence[UUID] | None, limit: int
) -> list[tuple[str, ProviderService]]:
    """Published services listed under each theme (offered in one of `region_ids` when given),
    by name, at most `limit` per theme: one query for all the themes."""
    links = (
        await ProviderServiceTheme.filter(
            theme_code__in=list(theme_codes),
            service__status=ProviderServiceStatus.PUBLISHED,
            service__provider__status=ProviderStatus.APPROVED,
        )
        .filter(
            Q()
            if region_ids is None
            else Q(
                service_id__in=Subquery(
                    ProviderServiceRegion.filter(region_id__in=list(region_ids)).values(
                        "service_id"
                    )
                )
            )
        )
        .prefetch_related("service")
    )
    found: dict[str, list[ProviderService]] = {}
    for link in links:
        found.setdefault(link.theme_code, []).append(link.service)
    pairs = []
    for code, services in found.items():
        for service in sorted(services, key=lambda s: (s.name, str(s.id)))[:limit]:
            pairs.append((code, service))
    return pairs


async def visible_in_categories(
    categories: Sequence[ProviderCategory], region_ids: Sequence[UUID], limit: int
) -> list[ProviderService]:
    query = services_matching(VISIBLE, ServiceFilter(region_ids=region_ids)).filter(
        category__in=list(categories)
    )
    return await query.order_by("category", "name", "id").limit(limit)


async def search_entries() -> list[dict[str, Any]]:
    """What the social-service search index reads: published services and their providers."""
    return await ProviderService.filter(VISIBLE).values(
        "id", "name", "description", "category", "provider__name"
    )


# -- API keys


async def count_live_keys(provider_id: UUID) -> int:
    return await ApiKey.filter(provider_id=provider_id, revoked_at__isnull=True).count()


async def create_key(**fields: Any) -> ApiKey:
    return await ApiKey.create(**fields)


async def key_by_hash(key_hash: str) -> ApiKey | None:
    return await ApiKey.get_or_none(key_hash=key_hash)


async def keys_of(provider_ids: Sequence[UUID]) -> list[ApiKey]:
    return await ApiKey.filter(provider_id__in=list(provider_ids)).order_by("-created_at", "id")


async def key_by_id(key_id: UUID) -> ApiKey | None:
    return await ApiKey.get_or_none(id=key_id)


async def revoke_key(key_id: UUID, *, at: datetime, by: UUID) -> bool:
    updated = await ApiKey.filter(id=key_id, revoked_at__isnull=True).update(
        revoked_at=at, revoked_by_id=by
    )
    return updated == 1


async def touch_key(key_id: UUID, now: datetime) -> None:
    """last_used_at, written at most once a minute per key (not once per request)."""
    await ApiKey.filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - timedelta(minutes=1)), id=key_id
    ).update(last_used_at=now)


# -- webhooks


async def count_live_webhooks(provider_id: UUID) -> int:
    return await WebhookEndpoint.filter(provider_id=provider_id, deleted_at__isnull=True).count()


async def create_webhook(**fields: Any) -> WebhookEndpoint:
    return await WebhookEndpoint.create(**fields)


async def webhook_by_id(webhook_id: UUID) -> WebhookEndpoint | None:
    return await WebhookEndpoint.get_or_none(id=webhook_id, deleted_at__isnull=True)


async def lock_webhook(webhook_id: UUID) -> WebhookEndpoint | None:
    return (
        await WebhookEndpoint.filter(id=webhook_id, deleted_at__isnull=True)
        .select_for_update()
        .first()
    )


async def webhooks_of(provider_ids: Sequence[UUID]) -> list[WebhookEndpoint]:
    return await WebhookEndpoint.filter(
        provider_id__in=list(provider_ids), deleted_at__isnull=True
    ).order_by("created_at", "id")


async def set_webhook_fields(webhook_id: UUID, **changes: Any) -> None:
    await WebhookEndpoint.filter(id=webhook_id).update(**changes)


async def hold_webhook_message(provider_id: UUID, payload: dict[str, Any], now: datetime) -> None:
    await HeldWebhookMessage.create(provider_id=provider_id, payload=payload, held_at=now)


async def release_held_messages(provider_id: UUID) -> list[dict[str, Any]]:
    """The messages held for a provider, oldest first, taken off the hold (inside the
    caller's transaction, under the provider's lock)."""
    rows = await HeldWebhookMessage.filter(provider_id=provider_id).order_by("held_at", "id")
    await HeldWebhookMessage.filter(id__in=[row.id for row in rows]).delete()
    return [row.payload for row in rows]


async def count_held_messages(provider_id: UUID) -> int:
    return await HeldWebhookMessage.filter(provider_id=provider_id).count()


async def record_delivery(**fields: Any) -> WebhookDelivery:
    return await WebhookDelivery.create(**fields)


async def delivery_page(
    endpoint_id: UUID, *, first: int, after: Sequence[Scalar] | None
) -> Page[WebhookDelivery]:
    """Newest first."""
    return await keyset_page(
        WebhookDelivery.filter(endpoint_id=endpoint_id),
        order=("-at",),
        first=first,
        after=typed_cursor(after, "datetime", "uuid"),
    )


# -- hand-off consents


async def create_consent(**fields: Any) -> HandoffConsent:
    return await HandoffConsent.create(**fields)


async def consent_of(consent_id: UUID, account_id: UUID) -> HandoffConsent | None:
    return await HandoffConsent.get_or_none(id=consent_id, account_id=account_id)


async def claim_consent(
    code_hash: str,
    provider_id: UUID,
    *,
    now: datetime,
    key_id: UUID | None,
    account_id: UUID | None,
) -> HandoffConsent | None:
    """Uses a code once: only an unexpired, unused, unwithdrawn consent given to this very
    provider matches, and the conditional update lets exactly one of two racing calls win."""
    updated = await HandoffConsent.filter(
        code_hash=code_hash,
        provider_id=provider_id,
        exchanged_at__isnull=True,
        withdrawn_at__isnull=True,
        code_expires_at__gt=now,
    ).update(exchanged_at=now, exchanged_by_key_id=key_id, exchanged_by_account_id=account_id)
    if updated != 1:
        return None
    return await HandoffConsent.get_or_none(code_hash=code_hash)


async def withdraw_consent(consent_id: UUID, now: datetime) -> bool:
    updated = await HandoffConsent.filter(id=consent_id, withdrawn_at__isnull=True).update(
        withdrawn_at=now
    )
    return updated == 1


async def consent_page(
    account_id: UUID, *, first: int, after: Sequence[Scalar] | None
) -> Page[HandoffConsent]:
    """Newest first."""
    return await keyset_page(
        HandoffConsent.filter(account_id=account_id),
        order=("-granted_at",),
        first=first,
        after=typed_cursor(after, "datetime", "uuid"),
    )
