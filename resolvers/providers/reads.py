"""What the schema reads of providers: the accounts' own providers and consents, the staff's
review queue, a webhook's delivery log, and providers and services fetched by id, each scoped
to what the caller may see (published services of approved providers for anyone; their own
for members; everything for staff)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from resolvers.principal import Principal
from resolvers.resources import Resources
from storage.models.providers import (
    HandoffConsent,
    Provider,
    ProviderInvitation,
    ProviderService,
    ProviderStatus,
    WebhookDelivery,
)
from storage.repositories import providers as repo
from storage.repositories.pagination import Page, Scalar


async def providers_of(principal: Principal, limit: int) -> list[Provider]:
    """The providers the signed-in account acts for, in any status, by name; none for others."""
    if principal.account_id is None:
        return []
    return await repo.providers_of_account(principal.account_id, limit)


async def providers(
    status: ProviderStatus | None, *, first: int, after: Sequence[Scalar] | None
) -> Page[Provider]:
    """Staff: a page of providers, oldest first (PENDING ones are the review queue). Raises
    ValueError for a cursor of another list."""
    return await repo.provider_page(status, first=first, after=after)


async def consents(
    principal: Principal, *, first: int, after: Sequence[Scalar] | None
) -> Page[HandoffConsent] | None:
    """A page of the resident's hand-off consents, newest first; None for a caller without an
    account. Raises ValueError for a cursor of another list."""
    if principal.account_id is None:
        return None
    return await repo.consent_page(principal.account_id, first=first, after=after)


async def deliveries(
    endpoint_id: UUID, *, first: int, after: Sequence[Scalar] | None
) -> Page[WebhookDelivery]:
    """A page of one webhook endpoint's delivery log, newest first. The endpoint is one the
    caller was allowed to see (its provider's members). Raises ValueError for a foreign cursor."""
    return await repo.delivery_page(endpoint_id, first=first, after=after)


async def readable_providers(principal: Principal, ids: Sequence[UUID]) -> list[Provider]:
    """The providers among `ids` the principal may see; unknown and hidden ones left out."""
    return await repo.readable_providers_by_ids(principal, ids)


async def readable_services(principal: Principal, ids: Sequence[UUID]) -> list[ProviderService]:
    """The social services among `ids` the principal may see; others left out."""
    return await repo.readable_services_by_ids(principal, ids)


async def open_invitations(resources: Resources, provider_id: UUID) -> list[ProviderInvitation]:
    """A provider's invitations not yet accepted nor expired, newest first (the schema shows
    them to its OWNERs only)."""
    return await repo.open_invitations_of([provider_id], resources.clock())


async def my_invitations(resources: Resources, principal: Principal) -> list[ProviderInvitation]:
    """The open invitations of the caller's bound phone, newest first; none without one."""
    if principal.account_id is None:
        return []
    account = await repo.account(principal.account_id)
    if account is None or not account.phone_index:
        return []
    return await repo.open_invitations_for_phone(account.phone_index, resources.clock())
