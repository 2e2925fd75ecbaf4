"""The providers domain's DataLoaders, one registry in the request's Loaders."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar
from uuid import UUID

from strawberry.dataloader import DataLoader

from resolvers.providers import overlay
from storage.models.catalogue import Region
from storage.models.providers import (
    ApiKey,
    Provider,
    ProviderEvent,
    ProviderMember,
    ProviderService,
    ProviderServiceTheme,
    WebhookEndpoint,
)
from storage.repositories import providers as repo

V = TypeVar("V")


@dataclass(slots=True)
class ProviderLoaders:
    # Unscoped: types check who may see what (see schema/providers.py).
    provider: DataLoader[UUID, Provider | None]
    service: DataLoader[UUID, ProviderService | None]
    members: DataLoader[UUID, list[ProviderMember]]
    api_keys: DataLoader[UUID, list[ApiKey]]
    webhooks: DataLoader[UUID, list[WebhookEndpoint]]
    service_themes: DataLoader[UUID, list[ProviderServiceTheme]]
    service_regions: DataLoader[UUID, list[Region]]
    service_events: DataLoader[UUID, list[ProviderEvent]]
    # account id -> the providers it is a member of
    memberships: DataLoader[UUID, list[UUID]]
    # (theme code, region code) -> published services listed under the theme there
    theme_services: DataLoader[tuple[str, str | None], list[ProviderService]]


async def _aligned_providers(ids: list[UUID]) -> list[Provider | None]:
    found = {p.id: p for p in await repo.providers_by_ids(ids)}
    return [found.get(i) for i in ids]


async def _aligned_services(ids: list[UUID]) -> list[ProviderService | None]:
    found = {s.id: s for s in await repo.services_by_ids(ids)}
    return [found.get(i) for i in ids]


def _grouped(
    fetch: Callable[[Sequence[UUID]], Awaitable[list[V]]], key_of: Callable[[V], UUID]
) -> Callable[[list[UUID]], Awaitable[list[list[V]]]]:
    async def load(keys: list[UUID]) -> list[list[V]]:
        groups: dict[UUID, list[V]] = {key: [] for key in keys}
        for row in await fetch(keys):
            groups.setdefault(key_of(row), []).append(row)
        return [groups[key] for key in keys]

    return load


async def _regions(ids: list[UUID]) -> list[list[Region]]:
    groups: dict[UUID, list[Region]] = {key: [] for key in ids}
    for service_id, region in await repo.region_links(ids):
        groups.setdefault(service_id, []).append(region)
    return [groups[key] for key in ids]


async def _memberships(account_ids: Sequence[UUID]) -> list[list[UUID]]:
    return [await repo.member_provider_ids(account_id) for account_id in account_ids]


async def _theme_services(
    keys: list[tuple[str, str | None]],
) -> list[list[ProviderService]]:
    return await overlay.services_for_themes(keys)


def _service_of_event(event: ProviderEvent) -> UUID:
    assert event.service_id is not None  # fetched by service id
    return event.service_id


def create_provider_loaders() -> ProviderLoaders:
    return ProviderLoaders(
        provider=DataLoader(_aligned_providers),
        service=DataLoader(_aligned_services),
        members=DataLoader(_grouped(repo.members_of, lambda m: m.provider_id)),
        api_keys=DataLoader(_grouped(repo.keys_of, lambda k: k.provider_id)),
        webhooks=DataLoader(_grouped(repo.webhooks_of, lambda w: w.provider_id)),
        service_themes=DataLoader(_grouped(repo.theme_links, lambda t: t.service_id)),
        service_regions=DataLoader(_regions),
        service_events=DataLoader(_grouped(repo.events_of_services, _service_of_event)),
        memberships=DataLoader(_memberships),
        theme_services=DataLoader(_theme_services),
    )
