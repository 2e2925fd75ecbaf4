"""The per-request DataLoader registry: every type reaches related rows through these. The
batch helpers (`aligned`, `grouped`, `_pairs`) line a batch query's rows up with its keys; every
domain's loaders, the providers' included, are built with them.

This is the one schema module that calls the repositories itself (the import contract "The
schema reads through the services" names it as its exception): a loader batches the rows that
belong to objects a resolver already read through its domain's service, which applied the
scoping and the policy. Loading them (an application's tasks, an appeal's replies, a region by
code) decides nothing about who may see what, and going through a service per batch would only
add a layer that passes keys along. A read that chooses rows for a caller belongs in a service."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from typing import TypeVar, cast
from uuid import UUID

from strawberry.dataloader import DataLoader

from resolvers.applications.bundles import ITEM_KEY_EVENTS
from resolvers.catalogue.service import MAX_HANDLING_CENTRES
from resolvers.providers import overlay
from resolvers.reference import ReferenceData
from storage.models.accounts import Account
from storage.models.appeals import (
    Appeal,
    AppealCategory,
    AppealEvent,
    AppealPhoto,
    AppealRating,
    AppealReply,
    AppealRevisit,
)
from storage.models.applications import (
    ApplicationEvent,
    ApplicationMaterial,
    ApplicationTask,
    Rating,
)
from storage.models.catalogue import (
    Article,
    ArticleItem,
    BaseItem,
    Department,
    Implementation,
    Material,
    Region,
    ServiceCentre,
    TerminalService,
)
from storage.models.delegation import DelegationEvent
from storage.models.delivery import DeliveryEvent
from storage.models.documents import Document
from storage.models.exchange import ExchangeAcknowledgement, ExchangeSystem
from storage.models.inspections import InspectionEvent, InspectionParticipant
from storage.models.payments import Payment, PaymentItem, PaymentReceipt, PaymentRefund
from storage.models.providers import (
    ApiKey,
    Provider,
    ProviderEvent,
    ProviderMember,
    ProviderService,
    ProviderServiceTheme,
    WebhookEndpoint,
)
from storage.models.scenarios import Scenario, ScenarioSubmission, Theme, ThemeItem
from storage.repositories import accounts as account_repo
from storage.repositories import appeals as appeal_repo
from storage.repositories import applications as application_repo
from storage.repositories import catalogue as catalogue_repo
from storage.repositories import delegation as delegation_repo
from storage.repositories import delivery as delivery_repo
from storage.repositories import exchange as exchange_repo
from storage.repositories import inspections as inspection_repo
from storage.repositories import payments as payment_repo
from storage.repositories import providers as provider_repo
from storage.repositories import scenarios as scenario_repo

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
R = TypeVar("R")


def aligned(
    fetch: Callable[[Sequence[K]], Awaitable[Iterable[V]]], key_of: Callable[[V], K]
) -> Callable[[list[K]], Awaitable[list[V | None]]]:
    """Wraps a batch query so that results line up with keys (None where nothing matched)."""

    async def load(keys: list[K]) -> list[V | None]:
        by_key = {key_of(row): row for row in await fetch(keys)}
        return [by_key.get(key) for key in keys]

    return load


def grouped(
    fetch: Callable[[Sequence[K]], Awaitable[Iterable[V]]], key_of: Callable[[V], K]
) -> Callable[[list[K]], Awaitable[list[list[V]]]]:
    """Like `aligned`, for one-to-many: each key gets the (ordered) list of its rows."""

    async def load(keys: list[K]) -> list[list[V]]:
        groups: dict[K, list[V]] = {key: [] for key in keys}
        for row in await fetch(keys):
            groups.setdefault(key_of(row), []).append(row)
        return [groups[key] for key in keys]

    return load


_Factory = Callable[[ReferenceData | None], object]


class _Lazy:
    """Builds each loader on its first use in the request: a request touches a handful of the
    dozens the schema has, and building them all cost more than the guide's own SQL."""

    _factories: dict[str, _Factory]

    def __init__(self, reference: ReferenceData | None) -> None:
        self._reference = reference

    def __getattr__(self, name: str) -> object:
        # Only reached when the instance has no such attribute yet.
        factory = self._factories.get(name)
        if factory is None:
            raise AttributeError(name)
        loader = factory(self._reference)
        setattr(self, name, loader)
        return loader


class ProviderLoaders(_Lazy):
    # Unscoped: types check who may see what (see schema/providers/types.py).
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


class Loaders(_Lazy):
    """The request's loaders. `region_or_load` and `department_or_load` answer from the
    process's reference data when it is current, without awaiting: a card's or a guide's
    region and department are then complete as soon as the card is, where an awaited load
    made graphql-core gather every card of a page."""

    def region_or_load(self, region_id: UUID) -> Region | Awaitable[Region | None] | None:
        found = self._reference.region_now(region_id) if self._reference else None
        return found if found is not None else self.region.load(region_id)

    def department_or_load(
        self, department_id: UUID
    ) -> Department | Awaitable[Department | None] | None:
        found = self._reference.department_now(department_id) if self._reference else None
        return found if found is not None else self.department.load(department_id)

    account: DataLoader[UUID, Account | None]
    region: DataLoader[UUID, Region | None]
    region_by_code: DataLoader[str, Region | None]
    region_children: DataLoader[UUID, list[Region]]
    department: DataLoader[UUID, Department | None]
    department_by_code: DataLoader[str, Department | None]
    base_item: DataLoader[UUID, BaseItem | None]
    implementation: DataLoader[UUID, Implementation | None]
    materials: DataLoader[UUID, list[Material]]
    # (implementation code, its region id, handled citywide or wider) -> its centres
    handling_centres: DataLoader[tuple[str, UUID, bool], list[ServiceCentre]]
    article: DataLoader[UUID, Article | None]
    article_items: DataLoader[UUID, list[ArticleItem]]
    terminal_services: DataLoader[UUID, list[TerminalService]]
    application_tasks: DataLoader[UUID, list[ApplicationTask]]
    application_events: DataLoader[UUID, list[ApplicationEvent]]
    # By a bundle's parent: its items' key events, each with its item. Only the owner reads
    # a parent, and its items are the owner's too.
    bundle_item_events: DataLoader[UUID, list[ApplicationEvent]]
    application_materials: DataLoader[UUID, list[ApplicationMaterial]]
    application_rating: DataLoader[UUID, Rating | None]
    # Unscoped: only for documents of an application (or appeal) the caller may read.
    document: DataLoader[UUID, Document | None]
    # Admins only (exchangeMessages, exchangeCallbacks): by outbox message id, by system id.
    exchange_acknowledgement: DataLoader[UUID, ExchangeAcknowledgement | None]
    exchange_system: DataLoader[UUID, ExchangeSystem | None]
    base_item_by_code: DataLoader[str, BaseItem | None]
    theme_items: DataLoader[UUID, list[ThemeItem]]
    theme_scenarios: DataLoader[UUID, list[Scenario]]  # published ones
    scenario_themes: DataLoader[UUID, list[Theme]]
    # Unscoped: versions are public; callers decide which statuses to show.
    scenario: DataLoader[UUID, Scenario | None]
    # Unscoped: only for applications the caller was allowed to read.
    scenario_submission: DataLoader[UUID, ScenarioSubmission | None]
    # (region code, basic code) -> the nearest published implementation.
    service_in_region: DataLoader[tuple[str, str], Implementation | None]
    providers: ProviderLoaders  # third-party providers and their services
    appeal_category: DataLoader[UUID, AppealCategory | None]
    appeal_category_children: DataLoader[UUID, list[AppealCategory]]
    # Unscoped, by id: only behind a check that the caller may read the appeal (or, for a
    # merged appeal's owner, the replies of the appeal it was merged into).
    appeal: DataLoader[UUID, Appeal | None]
    appeal_merged: DataLoader[UUID, list[Appeal]]
    appeal_events: DataLoader[UUID, list[AppealEvent]]
    appeal_replies: DataLoader[UUID, list[AppealReply]]
    appeal_ratings: DataLoader[UUID, list[AppealRating]]
    appeal_photos: DataLoader[UUID, list[AppealPhoto]]
    appeal_revisits: DataLoader[UUID, list[AppealRevisit]]
    # By delegation: its trail. Only for delegations the caller was allowed to read.
    delegation_events: DataLoader[UUID, list[DelegationEvent]]
    # By joint inspection: its departments' parts and its timeline. Only for inspections of
    # applications the caller may read.
    inspection_participants: DataLoader[UUID, list[InspectionParticipant]]
    inspection_events: DataLoader[UUID, list[InspectionEvent]]
    # By delivery: its statuses. Only for deliveries of applications the caller may read.
    delivery_events: DataLoader[UUID, list[DeliveryEvent]]
    # Unscoped, by application id: only for applications the caller was allowed to read.
    payment: DataLoader[UUID, Payment | None]
    payment_items: DataLoader[UUID, list[PaymentItem]]
    payment_refunds: DataLoader[UUID, list[PaymentRefund]]
    payment_receipts: DataLoader[UUID, list[PaymentReceipt]]


_CST = timezone(timedelta(hours=8), "CST")


def _today() -> date:
    # Validity dates of guides are calendar dates in China Standard Time.
    return datetime.now(UTC).astimezone(_CST).date()


def _pairs(
    fetch: Callable[[Sequence[UUID]], Awaitable[list[tuple[UUID, V]]]],
) -> Callable[[list[UUID]], Awaitable[list[list[V]]]]:
    """Like `grouped`, for fetches that return (key, row) pairs of a link table."""

    async def load(keys: list[UUID]) -> list[list[V]]:
        groups: dict[UUID, list[V]] = {key: [] for key in keys}
        for key, row in await fetch(keys):
            groups.setdefault(key, []).append(row)
        return [groups[key] for key in keys]

    return load


async def _bundle_item_events(parent_ids: Sequence[UUID]) -> list[tuple[UUID, ApplicationEvent]]:
    rows = await application_repo.item_events_of(parent_ids, ITEM_KEY_EVENTS)
    return [(row.application.parent_id, row) for row in rows if row.application.parent_id]


async def _services_in_regions(keys: list[tuple[str, str]]) -> list[Implementation | None]:
    return await scenario_repo.services_in_regions(keys, _today())


async def _handling_centres(keys: list[tuple[str, UUID, bool]]) -> list[list[ServiceCentre]]:
    return await catalogue_repo.centres_handling_many(keys, MAX_HANDLING_CENTRES)


def _parent_id(region: Region) -> UUID:
    assert region.parent_id is not None
    return region.parent_id


def _category_parent_id(category: AppealCategory) -> UUID:
    assert category.parent_id is not None
    return category.parent_id


def _merged_into_id(appeal: Appeal) -> UUID:
    assert appeal.merged_into_id is not None
    return appeal.merged_into_id


async def _memberships(account_ids: Sequence[UUID]) -> list[list[UUID]]:
    return [await provider_repo.member_provider_ids(account_id) for account_id in account_ids]


async def _theme_services(
    keys: list[tuple[str, str | None]],
) -> list[list[ProviderService]]:
    return await overlay.services_for_themes(keys)


def _service_of_event(event: ProviderEvent) -> UUID:
    assert event.service_id is not None  # fetched by service id
    return event.service_id


def _aligned(
    fetch: Callable[[Sequence[K]], Awaitable[Iterable[V]]], key_of: Callable[[V], K]
) -> _Factory:
    return lambda _: DataLoader(aligned(fetch, key_of))


def _grouped(
    fetch: Callable[[Sequence[K]], Awaitable[Iterable[V]]], key_of: Callable[[V], K]
) -> _Factory:
    return lambda _: DataLoader(grouped(fetch, key_of))


def _loader(load: Callable[[list[K]], Awaitable[list[V]]]) -> _Factory:
    return lambda _: DataLoader(load)


_PROVIDER_LOADERS: dict[str, _Factory] = {
    "provider": _aligned(provider_repo.providers_by_ids, lambda p: p.id),
    "service": _aligned(provider_repo.services_by_ids, lambda s: s.id),
    "members": _grouped(provider_repo.members_of, lambda m: m.provider_id),
    "api_keys": _grouped(provider_repo.keys_of, lambda k: k.provider_id),
    "webhooks": _grouped(provider_repo.webhooks_of, lambda w: w.provider_id),
    "service_themes": _grouped(provider_repo.theme_links, lambda t: t.service_id),
    "service_regions": _loader(_pairs(provider_repo.region_links)),
    "service_events": _grouped(provider_repo.events_of_services, _service_of_event),
    "memberships": _loader(_memberships),
    "theme_services": _loader(_theme_services),
}


_LOADERS: dict[str, _Factory] = {
    "account": _aligned(lambda ids: account_repo.by_ids(list(ids)), lambda a: a.id),
    "region": lambda reference: DataLoader(
        aligned(reference.regions if reference else catalogue_repo.regions_by_ids, lambda r: r.id)
    ),
    "region_by_code": _aligned(catalogue_repo.regions_by_codes, lambda r: r.code),
    "region_children": _grouped(catalogue_repo.region_children, _parent_id),
    "department": lambda reference: DataLoader(
        aligned(
            reference.departments if reference else catalogue_repo.departments_by_ids,
            lambda d: d.id,
        )
    ),
    "department_by_code": _aligned(catalogue_repo.departments_by_codes, lambda d: d.code),
    "base_item": _aligned(catalogue_repo.base_items_by_ids, lambda b: b.id),
    "implementation": _aligned(catalogue_repo.implementations_by_ids, lambda i: i.id),
    "materials": _grouped(catalogue_repo.materials_of, lambda m: m.implementation_id),
    "handling_centres": _loader(_handling_centres),
    "article": _aligned(catalogue_repo.articles_by_ids, lambda a: a.id),
    "article_items": _grouped(catalogue_repo.article_items, lambda i: i.article_id),
    "terminal_services": _grouped(catalogue_repo.terminal_service_codes, lambda t: t.terminal_id),
    "application_tasks": _grouped(application_repo.tasks_of, lambda t: t.application_id),
    "application_events": _grouped(application_repo.events_of, lambda e: e.application_id),
    "bundle_item_events": _loader(_pairs(_bundle_item_events)),
    "application_materials": _grouped(application_repo.materials_of, lambda m: m.application_id),
    "application_rating": _aligned(application_repo.ratings_of, lambda r: r.application_id),
    "document": _aligned(application_repo.documents_by_ids, lambda d: d.id),
    "payment": _aligned(payment_repo.by_applications, lambda p: p.application_id),
    "payment_items": _grouped(payment_repo.items_of, lambda i: i.payment_id),
    "payment_refunds": _grouped(payment_repo.refunds_of, lambda r: r.payment_id),
    "payment_receipts": _grouped(payment_repo.receipts_of, lambda r: r.payment_id),
    "exchange_acknowledgement": _aligned(exchange_repo.acks_of_messages, lambda a: a.message_id),
    "exchange_system": _aligned(exchange_repo.systems_by_ids, lambda s: s.id),
    "base_item_by_code": _aligned(scenario_repo.base_items_by_codes, lambda b: b.basic_code),
    "theme_items": _grouped(scenario_repo.theme_items, lambda i: i.theme_id),
    "theme_scenarios": _loader(_pairs(scenario_repo.published_scenarios_of_themes)),
    "scenario_themes": _loader(_pairs(scenario_repo.themes_of_scenarios)),
    "scenario": _aligned(scenario_repo.scenarios_by_ids, lambda s: s.id),
    "scenario_submission": _aligned(scenario_repo.submissions_of, lambda s: s.application_id),
    "service_in_region": _loader(_services_in_regions),
    "providers": ProviderLoaders,
    "appeal_category": lambda reference: DataLoader(
        aligned(
            reference.appeal_categories if reference else appeal_repo.categories_by_ids,
            lambda c: c.id,
        )
    ),
    "appeal_category_children": _grouped(appeal_repo.category_children, _category_parent_id),
    "appeal": _aligned(appeal_repo.by_ids, lambda a: a.id),
    "appeal_merged": _grouped(appeal_repo.merged_into, _merged_into_id),
    "appeal_events": _grouped(appeal_repo.events_of, lambda e: e.appeal_id),
    "appeal_replies": _grouped(appeal_repo.replies_of, lambda r: r.appeal_id),
    "appeal_ratings": _grouped(appeal_repo.ratings_of, lambda r: r.appeal_id),
    "appeal_photos": _grouped(appeal_repo.photos_of, lambda p: p.appeal_id),
    "appeal_revisits": _grouped(appeal_repo.revisits_of, lambda r: r.appeal_id),
    "delegation_events": _grouped(delegation_repo.trails_of, lambda e: e.delegation_id),
    "inspection_participants": _grouped(inspection_repo.participants_of, lambda p: p.inspection_id),
    "inspection_events": _grouped(inspection_repo.events_of, lambda e: e.inspection_id),
    "delivery_events": _grouped(delivery_repo.events_of, lambda e: e.delivery_id),
}


def known_or_load(loader: DataLoader[K, V], key: K) -> V | Awaitable[V]:
    """The loader's value for `key` when the request has it already (primed, or loaded
    before), without awaiting; else the load, to await."""
    found = loader.cache_map.get(key) if loader.cache else None
    if found is not None and found.done() and not found.cancelled() and found.exception() is None:
        return found.result()
    return loader.load(key)


def then(value: V | Awaitable[V], apply: Callable[[V], R]) -> R | Awaitable[R]:
    """`apply` to the value now when it is there, else once it has been awaited: a resolver
    that returns no awaitable lets graphql-core complete its object without awaiting. Pending
    is a load (a future) or a coroutine; a row is a value, though tortoise's models define
    `__await__` and so count as awaitable to `isinstance(value, Awaitable)`."""
    if isinstance(value, asyncio.Future) or inspect.iscoroutine(value):
        pending = value

        async def later() -> R:
            return apply(await pending)

        return later()
    return apply(cast(V, value))


def create_loaders(reference: ReferenceData | None = None) -> Loaders:
    """A fresh registry per request: a shared loader would leak rows between callers.
    With `reference`, regions and departments come from the process's reference data."""
    return Loaders(reference)


ProviderLoaders._factories = _PROVIDER_LOADERS
Loaders._factories = _LOADERS
