"""Reading the catalogue: the services list and search, guides, statistics, divergences,
articles, and the centres and terminals nearest a resident."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any
from uuid import UUID

from resolvers import policy
from resolvers.catalogue import search
from resolvers.catalogue.caller import caller_region_chain

# Shared with the domains that check catalogue references in their own input.
from resolvers.catalogue.drafts import BASIC_CODE as BASIC_CODE
from resolvers.catalogue.drafts import DOCUMENT_KINDS as DOCUMENT_KINDS
from resolvers.catalogue.drafts import MAX_COOPERATING_DEPARTMENTS as MAX_COOPERATING_DEPARTMENTS
from resolvers.catalogue.drafts import MAX_MATERIALS as MAX_MATERIALS
from resolvers.catalogue.drafts import Problems as Problems
from resolvers.catalogue.drafts import valid_credit_code as valid_credit_code
from resolvers.catalogue.editing import catalogue_changed as catalogue_changed
from resolvers.catalogue.errors import CatalogueError, CatalogueErrorCode
from resolvers.catalogue.files import Attached as Attached
from resolvers.catalogue.files import FileLink as FileLink
from resolvers.catalogue.files import MaterialFileRole as MaterialFileRole
from resolvers.catalogue.files import attach_material_file as attach_material_file
from resolvers.catalogue.files import file_link as file_link
from resolvers.catalogue.rules import Divergence, divergences
from resolvers.catalogue.search import MAX_QUERY_LENGTH, one_per_base_item
from resolvers.catalogue.search import Entry as Entry
from resolvers.catalogue.search import SearchIndex as SearchIndex
from resolvers.geo import RADII_METERS, box_around, distance_meters
from resolvers.principal import ANONYMOUS, Principal
from resolvers.resources import Resources
from storage.models.catalogue import (
    ArticleKind,
    Department,
    Implementation,
    ItemKind,
    ItemType,
    Material,
    PublicationStatus,
    Region,
    RegionLevel,
    ServiceCentre,
    Terminal,
)
from storage.repositories import catalogue as repo
from storage.repositories import scenarios as scenario_repo
from storage.repositories.pagination import Page, Scalar, keyset_page

log = logging.getLogger(__name__)

CITY_CODE = "510100"
# A guide names at most this many handling centres: a citywide item is handled at every
# citywide centre (24 in Chengdu); the nearest are a `serviceCentres` query away.
MAX_HANDLING_CENTRES = 50


_CST = timezone(timedelta(hours=8), "CST")


def today() -> date:
    # Validity dates are calendar dates in China Standard Time.
    return datetime.now(UTC).astimezone(_CST).date()


class Audience(StrEnum):
    PERSON = "PERSON"
    ORGANISATION = "ORGANISATION"


@dataclass(frozen=True, slots=True)
class ServiceFilter:
    keyword: str | None = None
    kind: ItemKind | None = None
    item_type: ItemType | None = None
    region_code: str | None = None
    department_code: str | None = None
    audience: Audience | None = None
    max_visits: int | None = None
    online_depth: int | None = None
    citywide: bool | None = None
    theme_code: str | None = None


@dataclass(slots=True)
class ServicePage:
    page: Page[Implementation]
    kind: str  # cursor kind: "k" keyset, "o" ranked offset
    total: int | None = None
    _count_query: Any = None

    async def total_count(self) -> int:
        if self.total is None:
            self.total = await self._count_query.count()
        return self.total


async def top_regions(limit: int) -> list[Region]:
    """The regions no other region contains (the city), by code; retired ones left out."""
    return (await repo.top_regions())[:limit]


async def departments(region_id: UUID | None, limit: int) -> list[Department]:
    """Departments by code, all of them or those of one region."""
    return await repo.departments_in_region(region_id, limit)


async def _region(code: str | None) -> Region | None:
    if code is None or not 0 < len(code) <= 12 or not code.isalnum():
        return None
    rows = await repo.regions_by_codes([code])
    return rows[0] if rows else None


async def _available_in(region: Region) -> list[UUID]:
    """A resident of `region` can use its own implementations and those of the regions above."""
    return [r.id for r in await repo.region_and_ancestors(region)]


async def list_services(
    resources: Resources,
    filters: ServiceFilter,
    *,
    first: int,
    after: Sequence[Scalar] | None,
    principal: Principal = ANONYMOUS,
) -> ServicePage | None:
    """A page of published services, or None when a code in the filter matches nothing.

    A keyword search answers with one card per base item: the implementation nearest the
    region asked for (else the caller's own region, else the city); when none of those has
    one, the best-matching implementation stands for the item. So does a list without a
    keyword and without a region, by name; with a region it lists every implementation a
    resident there may use (the region's and those above it)."""
    day = today()
    # Read before the page's rows are chosen: rows kept from this page are kept under it.
    version = await resources.reference.version()
    region_ids = None
    if filters.region_code is not None:
        region = await _region(filters.region_code)
        if region is None:
            return None
        region_ids = await _available_in(region)
    department_id = None
    if filters.department_code is not None:
        departments = (
            await repo.departments_by_codes([filters.department_code])
            if len(filters.department_code) == 18
            else []
        )
        if not departments:
            return None
        department_id = departments[0].id
    base_ids = None
    if filters.theme_code is not None:
        # A theme lists items by basic code; services are those items' implementations.
        codes = (
            await scenario_repo.theme_item_codes(filters.theme_code)
            if 0 < len(filters.theme_code) <= 32
            else None
        )
        if codes is None:
            return None
        base_ids = [b.id for b in await repo.base_items_by_codes(codes)]
    query = repo.ServiceQuery(
        base_ids=base_ids,
        kind=filters.kind,
        item_type=filters.item_type,
        region_ids=region_ids,
        department_id=department_id,
        for_persons=filters.audience is Audience.PERSON or None,
        for_organisations=filters.audience is Audience.ORGANISATION or None,
        max_visits=filters.max_visits,
        online_depth=filters.online_depth,
        citywide=filters.citywide,
    )
    keyword = (filters.keyword or "").strip()
    if not keyword and region_ids is not None:
        rows = repo.services(day, query)
        page = await keyset_page(rows, order=("name", "code"), first=first, after=after)
        return ServicePage(page=page, kind="k", _count_query=rows)
    if region_ids is not None:
        preferred = region_ids
    else:
        city = await resources.reference.region_by_code(CITY_CODE)
        preferred = await caller_region_chain(resources, principal) or (
            [city.id] if city is not None else []
        )
    if not keyword:
        # Browsing without a region: every district has its own implementation of most
        # items, so the list is of base items, each by name, at the implementation the
        # caller's region (else the city) would use.
        keys = await repo.service_keys(day, query, by_name=True)
        place = {entry: n for n, (entry, _, _) in enumerate(keys)}
        ordered = one_per_base_item(list(place), keys, preferred)
        ordered.sort(key=place.__getitem__)  # by the chosen implementation's own name
    else:
        if len(keyword) > MAX_QUERY_LENGTH:
            raise CatalogueError(
                CatalogueErrorCode.INVALID_INPUT, "filter.keyword", detail="关键词过长"
            )
        index = await search_index(resources)
        if query == repo.ServiceQuery():
            # A keyword alone: the index knows every match's keys, and keeps the cards.
            ordered = index.cards(keyword, preferred)
        else:
            ranked = index.search(keyword)
            keys = (
                await repo.service_keys(day, repo.ServiceQuery(**{**_fields(query), "ids": ranked}))
                if ranked
                else []
            )
            ordered = one_per_base_item(ranked, keys, preferred)
        if not ordered:
            return ServicePage(page=Page(rows=[], has_next=False, positions=[]), kind="o", total=0)
    offset = int(after[0]) if after else 0  # type: ignore[arg-type]
    window = ordered[offset : offset + first + 1]
    by_id = await resources.guides.rows(window, version, day, repo.implementations_by_ids)
    found = [by_id[i] for i in window if i in by_id]
    page = Page(
        rows=found[:first],
        has_next=len(found) > first,
        positions=[[offset + n + 1] for n in range(min(first, len(found)))],
    )
    return ServicePage(page=page, kind="o", total=len(ordered))


def cursor_kind(filters: ServiceFilter) -> str:
    """How `list_services` pages: by offset ("o") where it answers one card per base item
    (a keyword, or no region), else by keyset ("k") over name and code."""
    return "o" if (filters.keyword or "").strip() or filters.region_code is None else "k"


def _fields(query: repo.ServiceQuery) -> dict[str, Any]:
    return {name: getattr(query, name) for name in query.__dataclass_fields__}


def load_dictionaries() -> None:
    """The search's word and pinyin dictionaries, before any index is built."""
    search.load_dictionaries()


async def warm(resources: Resources) -> None:
    """Loads what reads keep in memory (regions, departments, the search index with jieba's
    and pypinyin's dictionaries) before the process takes traffic, so that the first search
    is as fast as the hundredth. A failure leaves them to the first request that needs them."""
    try:
        await resources.reference.warm()
        await search_index(resources)
        # One search and one guide through the same statements a client's will run: the pool
        # hands out its most recently used connection first, and on this one the statements
        # are prepared and asyncpg has learnt the types they return.
        page = await list_services(resources, ServiceFilter(keyword="办理"), first=1, after=None)
        if page is not None and page.page.rows:
            await get_service_with_materials(resources, page.page.rows[0].code, None)
    except Exception:
        log.warning("catalogue reads not warmed at start-up", exc_info=True)


async def search_index(resources: Resources) -> SearchIndex:
    """The process's index of what is published today (rebuilt when the catalogue changes
    or the day does, since validity dates decide what is published)."""
    day = today()
    # While Redis cannot say, "redis-down": keep serving from the index we have.
    version = f"{await resources.reference.version()}:{day.isoformat()}"

    async def load() -> list[Entry]:
        return [
            Entry(
                id=row["id"],
                code=row["code"],
                name=row["name"],
                base_name=row["base__name"],
                keywords=tuple(row["base__keywords"] or ()),
                department=row["department__name"],
                base_id=row["base_id"],
                region_id=row["region_id"],
            )
            for row in await repo.search_entries(day)
        ]

    return await resources.search_index.get(version, load)


async def get_service(code: str, region_code: str | None) -> Implementation | None:
    """By implementation code; or by basic code, for the region (or the regions above it)."""
    if not 0 < len(code) <= 96 or not code.isprintable():
        return None
    day = today()
    if "-" in code or region_code is None:
        return await repo.published_by_code(code, day)
    region = await _region(region_code)
    if region is None:
        return None
    chain = await repo.region_and_ancestors(region)
    return await _nearest_implementation(code, [r.id for r in chain], day)


async def get_service_with_materials(
    resources: Resources, code: str, region_code: str | None
) -> tuple[Implementation, list[Material] | None] | None:
    """`get_service` for a guide page: by implementation code, the guide and its materials
    in one statement, or from this process's memory of it (None for the materials otherwise:
    they are loaded as usual)."""
    if ("-" in code or region_code is None) and 0 < len(code) <= 96 and code.isprintable():
        day = today()
        return await resources.guides.get(
            code, day, lambda: repo.published_with_materials(code, day)
        )
    row = await get_service(code, region_code)
    return (row, None) if row is not None else None


async def published_service(
    resources: Resources, code: str, region_code: str | None
) -> tuple[Implementation, list[Material]] | None:
    """The published service a resident applies under, with its materials in position order:
    the guide they have just read, from this process's memory of guides when it keeps it
    (within a second of a publish, as the guide page), else from the database."""
    found = await get_service_with_materials(resources, code, region_code)
    if found is None:
        return None
    row, materials = found
    return row, materials if materials is not None else await repo.materials_of([row.id])


async def _nearest_implementation(
    basic_code: str, chain: Sequence[UUID], day: date
) -> Implementation | None:
    """The base item's implementation in the nearest region of `chain` (nearest first)."""
    candidates = await repo.published_by_base_and_regions(basic_code, chain, day)
    # The nearest level wins: the county's own implementation before the city's.
    rank = {region_id: depth for depth, region_id in enumerate(chain)}
    return min(candidates, key=lambda row: rank[row.region_id], default=None)


@dataclass(frozen=True, slots=True)
class Stats:
    total: int
    at_most_one_visit: int
    zero_visits: int
    fully_online: int
    citywide: int

    def share(self, part: int) -> float:
        return round(part / self.total, 4) if self.total else 0.0


async def service_stats(region_code: str | None) -> Stats | None:
    region_ids = None
    if region_code is not None and region_code != CITY_CODE:
        region = await _region(region_code)
        if region is None:
            return None
        region_ids = await repo.region_and_descendant_ids(region)
    total = one = zero = online = citywide = 0
    for row in await repo.stats_rows(today(), region_ids):
        n = int(row["n"])
        total += n
        one += n if row["visits"] <= 1 else 0
        zero += n if row["visits"] == 0 else 0
        online += n if row["online_depth"] == 4 else 0
        citywide += n if row["scope"] in {s.value for s in repo.WIDER_SCOPES} else 0
    return Stats(total, one, zero, online, citywide)


@dataclass(frozen=True, slots=True)
class DivergenceReport:
    implementation: Implementation
    fields: list[Divergence]


async def divergence_report(
    resources: Resources, principal: Principal, region_code: str, limit: int
) -> list[DivergenceReport]:
    """The first `limit` implementations (by code) in the region and below that differ."""
    await policy.authorize(resources, principal, policy.Action.CATALOGUE_DIVERGENCES)
    region = await _region(region_code)
    if region is None:
        return []
    ids = await repo.region_and_descendant_ids(region)
    rows = await repo.current_versions_in_regions(ids)
    bases = {b.id: b for b in await repo.base_items_by_ids(list({r.base_id for r in rows}))}
    reports = []
    for row in rows:
        found = divergences(row, bases[row.base_id])
        if found:
            reports.append(DivergenceReport(row, found))
            if len(reports) == limit:
                break
    return reports


def is_visible(implementation: Implementation) -> bool:
    return implementation.status is PublicationStatus.PUBLISHED


# -- articles


async def list_articles(
    kind: ArticleKind | None,
    item_code: str | None,
    region_code: str | None,
    *,
    first: int,
    after: Sequence[Scalar] | None,
) -> Page[Any] | None:
    region_ids = None
    if region_code is not None:
        region = await _region(region_code)
        if region is None:
            return None
        region_ids = await _available_in(region)
    if item_code is not None and not (0 < len(item_code) <= 32 and item_code.isalnum()):
        return None
    return await keyset_page(
        repo.articles(kind, item_code, region_ids), order=("-created_at",), first=first, after=after
    )


# -- centres and terminals


@dataclass(frozen=True, slots=True)
class Placed:
    """A centre or terminal with its distance from the resident, when one was given."""

    row: Any
    distance: float | None


@dataclass(frozen=True, slots=True)
class PlacedPage:
    places: list[Placed]
    has_next: bool
    positions: list[list[Scalar]]  # what each place's cursor carries
    kind: str  # "o": offsets into a distance order; "k": keyset
    count: Callable[[], Awaitable[int]]  # every match across pages, asked only when wanted

    async def total_count(self) -> int:
        return await self.count()


async def _no_count() -> int:
    return 0


EMPTY_PLACES = PlacedPage([], False, [], "k", _no_count)


def _by_distance(
    places: list[Placed], has_next: bool, offset: int, count: Callable[[], Awaitable[int]]
) -> PlacedPage:
    positions: list[list[Scalar]] = [[offset + n + 1] for n in range(len(places))]
    return PlacedPage(places, has_next, positions, "o", count)


def _by_key(page: Page[Any], count: Callable[[], Awaitable[int]]) -> PlacedPage:
    places = [Placed(row, None) for row in page.rows]
    return PlacedPage(places, page.has_next, page.positions, "k", count)


async def _service_chain(
    resources: Resources, principal: Principal, region: Region | None
) -> list[UUID]:
    """Whose implementation a basic code names: the region asked for, else the caller's own,
    else the city's (nearest first)."""
    if region is not None:
        return await resources.reference.region_chain(region.id)
    chain = await caller_region_chain(resources, principal)
    return chain or [r.id for r in await repo.regions_by_codes([CITY_CODE])]


async def _nearest_places(
    build: Any, lat: float, lng: float, *, first: int, offset: int
) -> tuple[list[Placed], bool]:
    """Rings of growing radius until enough places are inside; exact distances decide."""
    needed = offset + first + 1
    for radius in (*RADII_METERS, None):
        box = box_around(lat, lng, radius) if radius is not None else None
        rows = await build(box)
        placed = sorted(
            (Placed(row, distance_meters(lat, lng, row.latitude, row.longitude)) for row in rows),
            key=lambda p: (p.distance, str(p.row.id)),
        )
        if radius is not None:
            placed = [p for p in placed if p.distance is not None and p.distance <= radius]
        if len(placed) >= needed or radius is None:
            window = placed[offset : offset + first + 1]
            return window[:first], len(window) > first
    return [], False


async def list_centres(
    resources: Resources,
    region_code: str | None,
    service_code: str | None,
    near: tuple[float, float] | None,
    *,
    first: int,
    after: Sequence[Scalar] | None,
    principal: Principal = ANONYMOUS,
) -> PlacedPage | None:
    region = region_ids = None
    if region_code is not None:
        region = await _region(region_code)
        if region is None:
            return None
        region_ids = await repo.region_and_descendant_ids(region)
    ids = None
    if service_code is not None:
        if not 0 < len(service_code) <= 96 or not service_code.isprintable():
            return None
        implementation = (
            await repo.published_by_code(service_code, today())
            if "-" in service_code
            else await _nearest_implementation(
                service_code, await _service_chain(resources, principal, region), today()
            )
        )
        if implementation is None:
            return None
        listed, citywide = await repo.centre_ids_handling(implementation)
        ids = listed + (await repo.citywide_centre_ids() if citywide else [])

    async def build(box: repo.Box | None) -> list[ServiceCentre]:
        return await repo.centres(region_ids, box, ids)

    async def count() -> int:
        return await repo.count_centres(region_ids, ids)

    if near is not None:
        offset = int(after[0]) if after else 0  # type: ignore[arg-type]
        return _by_distance(
            *await _nearest_places(build, *near, first=first, offset=offset), offset, count
        )
    rows = repo.centres(region_ids, None, ids)
    return _by_key(await keyset_page(rows, order=("name",), first=first, after=after), count)


async def list_terminals(
    resources: Resources,
    region_code: str | None,
    community_code: str | None,
    service_code: str | None,
    near: tuple[float, float] | None,
    *,
    first: int,
    after: Sequence[Scalar] | None,
    principal: Principal = ANONYMOUS,
) -> PlacedPage | None:
    """Terminals in the region or community that offer the service, if one is named: by its
    implementation code, or by basic code: any implementation of the item a resident of the
    community or region asked for (else of the caller's own region, else of the city) may use,
    its own region's and those above, and every citywide one."""
    region_ids = None
    narrowest: Region | None = None
    for code in (region_code, community_code):
        if code is None:
            continue
        region = await _region(code)
        if region is None or (code == community_code and region.level is not RegionLevel.COMMUNITY):
            return None
        narrowest = region if narrowest is None or code == community_code else narrowest
        within = set(await repo.region_and_descendant_ids(region))
        region_ids = list(within if region_ids is None else within & set(region_ids))
    offering: list[str] | None = None
    if service_code is not None:
        if not 0 < len(service_code) <= 96 or not service_code.isprintable():
            return None
        if BASIC_CODE.fullmatch(service_code):
            chain = await _service_chain(resources, principal, narrowest)
            offering = await repo.published_codes_of_base(service_code, chain, today())
        else:
            offering = [service_code]
        if not offering:
            return None

    async def build(box: repo.Box | None) -> list[Terminal]:
        return await repo.terminals(region_ids, box, offering)

    async def count() -> int:
        return await repo.count_terminals(region_ids, offering)

    if near is not None:
        offset = int(after[0]) if after else 0  # type: ignore[arg-type]
        return _by_distance(
            *await _nearest_places(build, *near, first=first, offset=offset), offset, count
        )
    rows = repo.terminals(region_ids, None, offering)
    return _by_key(await keyset_page(rows, order=("code",), first=first, after=after), count)
