"""What residents see of social services beside government ones: in themes, in scenario plans
(a scenario names a category, e.g. 水电气过户 in 二手房转移登记, never one provider) and in
keyword search. Only PUBLISHED services of APPROVED providers, whoever asks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from uuid import UUID

from resolvers.catalogue.service import Entry, SearchIndex
from resolvers.scenarios.service import Answer, Definition, holds
from storage.cache import RedisError, catalogue_version
from storage.models.catalogue import Region
from storage.models.providers import ProviderCategory, ProviderService, ProviderServiceStatus
from storage.repositories import catalogue as catalogue_repo
from storage.repositories import providers as repo
from storage.repositories.pagination import Page, Scalar
from storage.repositories.readers import Reader

if TYPE_CHECKING:  # the request context imports the loaders, which import this module
    from resolvers.resources import Resources

MAX_PER_THEME = 20
MAX_PER_PLAN = 20
CATEGORY_LABELS = {
    ProviderCategory.UTILITIES: "水电气",
    ProviderCategory.TELECOM: "通信宽带",
    ProviderCategory.HOUSEKEEPING: "家政服务",
    ProviderCategory.MEDICAL: "医疗健康",
    ProviderCategory.BANKING: "金融服务",
    ProviderCategory.EDUCATION: "教育培训",
    ProviderCategory.ELDERLY_CARE: "养老服务",
    ProviderCategory.MOVING: "搬家物流",
    ProviderCategory.OTHER: "其他服务",
}


def category_of(code: str | None) -> ProviderCategory | None:
    """A scenario item's `providerService` names a category (UTILITIES, HOUSEKEEPING ...)."""
    if code is None:
        return None
    return ProviderCategory.__members__.get(code)


async def region_ids(region_code: str | None) -> list[UUID] | None:
    """Where a resident is: the region and those above it (a service offered in the city is
    offered in every district). None: anywhere; [] for an unknown code (nothing matches)."""
    if region_code is None:
        return None
    if not 0 < len(region_code) <= 12 or not region_code.isalnum():
        return []
    found = await catalogue_repo.regions_by_codes([region_code])
    if not found:
        return []
    return [r.id for r in await catalogue_repo.region_and_ancestors(found[0])]


async def services_for_themes(
    keys: Sequence[tuple[str, str | None]],
) -> list[list[ProviderService]]:
    """For (theme code, region code) pairs: the published services listed under the theme and
    offered there, by name, at most MAX_PER_THEME each; one query per distinct region."""
    by_region: dict[str | None, list[str]] = {}
    for theme_code, region_code in keys:
        by_region.setdefault(region_code, []).append(theme_code)
    found: dict[tuple[str, str | None], list[ProviderService]] = {}
    for region_code, theme_codes in by_region.items():
        ids = await region_ids(region_code)
        if ids == []:
            continue
        for theme_code, service in await repo.visible_for_themes(
            sorted(set(theme_codes)), ids, MAX_PER_THEME
        ):
            found.setdefault((theme_code, region_code), []).append(service)
    return [found.get(key, []) for key in keys]


async def published_services_for_theme(
    theme_code: str, region_code: str | None
) -> list[ProviderService]:
    return (await services_for_themes([(theme_code, region_code)]))[0]


async def for_scenario(
    definition: Definition, answers: Mapping[str, Answer], region: Region
) -> list[ProviderService]:
    """The social services a plan's answers lead to: every category item whose condition
    holds, as published services offered in the plan's region."""
    categories = [
        category
        for item in definition.items
        if (category := category_of(item.provider_service)) is not None
        and holds(item.when, answers)
    ]
    if not categories:
        return []
    ids = [r.id for r in await catalogue_repo.region_and_ancestors(region)]
    return await repo.visible_in_categories(categories, ids, MAX_PER_PLAN)


async def search(resources: Resources, keyword: str) -> list[UUID]:
    """Published services for a keyword, best first: the same word, pinyin and initials
    matching as the government catalogue's search ("shui", "sdq" find 水电气)."""
    try:
        version = await catalogue_version(resources.redis)
    except RedisError:
        version = "redis-down"  # keep serving from the index we have

    async def load() -> list[Entry]:
        return [
            Entry(
                id=row["id"],
                code="",
                name=row["name"],
                base_name=CATEGORY_LABELS[ProviderCategory(row["category"])],
                keywords=(row["provider__name"],),
                department=row["description"],
            )
            for row in await repo.search_entries()
        ]

    index: SearchIndex = await resources.provider_index.get(version, load)
    return index.search(keyword)


@dataclass(frozen=True, slots=True)
class ServiceListing:
    page: Page[ProviderService]
    kind: str  # cursor kind: "k" keyset, "o" ranked offset


MAX_KEYWORD = 50


async def list_services(
    resources: Resources,
    reader: Reader,
    wanted: repo.ServiceFilter,
    *,
    region_code: str | None,
    keyword: str | None,
    first: int,
    after: Sequence[Scalar] | None,
) -> ServiceListing | None:
    """A page of the services `reader` may see; None when a code matches nothing. With a
    keyword: published services only, ranked; otherwise by name (the review queue, SUBMITTED,
    oldest first). Raises ValueError for a cursor of another list."""
    scope = await repo.readable_services(reader)
    ids = await region_ids(region_code)
    if ids == []:
        return None
    wanted = replace(wanted, region_ids=ids)
    text = (keyword or "").strip()
    if not text:
        order = ("submitted_at",) if wanted.status is ProviderServiceStatus.SUBMITTED else ("name",)
        page = await repo.service_page(scope, wanted, order=order, first=first, after=after)
        return ServiceListing(page=page, kind="k")
    ranked = await search(resources, text)
    allowed = set(await repo.matching_ids(scope, replace(wanted, ids=ranked)))
    ordered = [entry for entry in ranked if entry in allowed]
    offset = int(after[0]) if after else 0  # type: ignore[arg-type]
    window = ordered[offset : offset + first + 1]
    by_id = {row.id: row for row in await repo.services_by_ids(window)}
    found = [by_id[i] for i in window if i in by_id]
    return ServiceListing(
        page=Page(
            rows=found[:first],
            has_next=len(found) > first,
            positions=[[offset + n + 1] for n in range(min(first, len(found)))],
        ),
        kind="o",
    )
