"""Writes of reference and demo data into an empty (or older) database: regions, themes,
the 12345 dispatch catalogue and table, demo departments and staff, local centres, demo
providers. What to seed, and from which file, is the seeding command's business (api/seed.py);
the rows are written here. Callers hold the transaction where a seed is all or nothing."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from storage.models.accounts import Account
from storage.models.appeals import (
    AppealCatalogueAction,
    AppealCatalogueChange,
    AppealCategory,
    AppealRoute,
)
from storage.models.catalogue import (
    CentreLevel,
    Department,
    Implementation,
    PublicationStatus,
    Region,
    RegionLevel,
    Scope,
    ServiceCentre,
)
from storage.models.providers import (
    Provider,
    ProviderMember,
    ProviderService,
    ProviderServiceRegion,
    ProviderServiceTheme,
)
from storage.models.scenarios import RecommendationRule, Scenario, Theme, ThemeItem

# -- regions


@dataclass(frozen=True, slots=True)
class RegionRow:
    code: str
    name: str
    level: RegionLevel
    parent_code: str | None = None
    retired: bool = False
    platform_code: bool = False


async def add_missing_regions(rows: Iterable[RegionRow]) -> int:
    """Adds the regions missing by code (parents listed before their children); how many."""
    by_code: dict[str, Region] = {r.code: r for r in await Region.all()}
    created = 0
    for row in rows:
        if row.code in by_code:
            continue
        by_code[row.code] = await Region.create(
            code=row.code,
            name=row.name,
            level=row.level,
            parent=by_code.get(row.parent_code) if row.parent_code else None,
            retired=row.retired,
            platform_code=row.platform_code,
        )
        created += 1
    return created


async def create_region(code: str, name: str, level: RegionLevel, parent_id: UUID) -> Region:
    return await Region.create(code=code, name=name, level=level, parent_id=parent_id)


async def regions_at_level(level: RegionLevel) -> list[Region]:
    return await Region.filter(level=level).order_by("code")


# -- departments and staff


async def departments_exist() -> bool:
    return await Department.exists()


async def add_departments_and_staff(
    departments: Sequence[Department], staff: Sequence[Account]
) -> None:
    """Departments, then the accounts that may name them (ids are set by the caller)."""
    await Department.bulk_create(list(departments))
    await Account.bulk_create(list(staff))


# -- catalogue


async def add_cooperating_partner(basic_code: str, region_code: str) -> bool:
    """Makes the published implementation of the base item in the region handled in parallel
    with another department of that region (the first by code); False when either is missing."""
    region = await Region.get_or_none(code=region_code)
    if region is None:
        return False
    implementation = await Implementation.filter(
        base__basic_code=basic_code, region_id=region.id, status=PublicationStatus.PUBLISHED
    ).first()
    partner = (
        await Department.filter(region_id=region.id)
        .exclude(id=implementation.department_id if implementation else None)
        .order_by("code")
        .first()
    )
    if implementation is None or partner is None:
        return False
    implementation.cooperating_departments = [partner.code]
    await implementation.save(update_fields=["cooperating_departments"])
    return True


async def published_citywide_codes(min_online_depth: int) -> list[str]:
    """Codes of the published citywide implementations at least this deep online."""
    codes = await Implementation.filter(
        status=PublicationStatus.PUBLISHED, scope=Scope.CITYWIDE, online_depth__gte=min_online_depth
    ).values_list("code", flat=True)
    return [str(code) for code in codes]


async def centres_at_level(level: CentreLevel) -> list[ServiceCentre]:
    return await ServiceCentre.filter(level=level)


# -- themes and recommendations


async def add_missing_themes(rows: Sequence[dict[str, Any]]) -> int:
    """Adds the themes missing by code (each row: the theme's fields); how many."""
    existing = set(await Theme.all().values_list("code", flat=True))
    themes = [Theme(**row) for row in rows if row["code"] not in existing]
    await Theme.bulk_create(themes)
    return len(themes)


async def add_theme_items(items: Sequence[tuple[str, str, int]]) -> None:
    """Lists base items under themes: (theme code, basic code, position) each."""
    themes = {t.code: t.id for t in await Theme.all()}
    await ThemeItem.bulk_create(
        [
            ThemeItem(theme_id=themes[theme], basic_code=code, position=position)
            for theme, code, position in items
        ]
    )


async def add_missing_recommendation_rules(rows: Sequence[dict[str, Any]]) -> int:
    """Adds the rules missing by code (each row: the rule's fields); how many. A rule that
    exists, edited or deactivated since, is left as it is."""
    existing = set(await RecommendationRule.all().values_list("code", flat=True))
    rules = [RecommendationRule(**row) for row in rows if row["code"] not in existing]
    await RecommendationRule.bulk_create(rules)
    return len(rules)


async def scenario_codes() -> set[str]:
    """Every scenario code with a version in any status."""
    rows = await Scenario.all().distinct().values("code")
    return {str(row["code"]) for row in rows}


# -- the 12345 dispatch catalogue and table


async def appeal_categories() -> list[AppealCategory]:
    return await AppealCategory.all()


async def create_appeal_category(parent: AppealCategory | None, **fields: Any) -> AppealCategory:
    return await AppealCategory.create(parent=parent, **fields)


async def add_missing_appeal_routes(rows: Iterable[tuple[str, str, str]]) -> int:
    """Adds dispatch routes, each (category code, region code, department code), that name
    known rows and are not routed yet, unless the 12345 centre has edited that row (a route
    it removed stays removed); how many."""
    changes = await AppealCatalogueChange.filter(
        action__in=[AppealCatalogueAction.ROUTE_SET, AppealCatalogueAction.ROUTE_REMOVED]
    )
    edited = {change.subject for change in changes}
    categories = {c.code: c.id for c in await AppealCategory.all()}
    regions = {r.code: r.id for r in await Region.all()}
    departments = {d.code: d.id for d in await Department.all()}
    have = set(await AppealRoute.all().values_list("category_id", "region_id"))
    routes = []
    for category_code, region_code, department_code in rows:
        if f"{category_code}@{region_code}" in edited:
            continue
        key = (categories.get(category_code), regions.get(region_code))
        department = departments.get(department_code)
        if None in key or department is None or key in have:
            continue
        have.add(key)
        routes.append(AppealRoute(category_id=key[0], region_id=key[1], department_id=department))
    await AppealRoute.bulk_create(routes)
    return len(routes)


# -- demo providers


async def demo_providers_exist() -> bool:
    return await Provider.filter(demo=True).exists()


async def create_account(**fields: Any) -> Account:
    return await Account.create(**fields)


@dataclass(frozen=True, slots=True)
class ServiceRow:
    fields: dict[str, Any]
    theme_codes: Sequence[str] = ()
    region_ids: Sequence[UUID] = ()


@dataclass(frozen=True, slots=True)
class ProviderRow:
    fields: dict[str, Any]
    services: Sequence[ServiceRow] = field(default_factory=tuple)


async def add_provider(owner_id: UUID, row: ProviderRow) -> Provider:
    """A provider owned by the account, with its services, their themes and regions."""
    provider = await Provider.create(created_by_id=owner_id, **row.fields)
    await ProviderMember.create(provider_id=provider.id, account_id=owner_id, owner=True)
    for item in row.services:
        service = await ProviderService.create(provider_id=provider.id, **item.fields)
        await ProviderServiceTheme.bulk_create(
            [ProviderServiceTheme(service_id=service.id, theme_code=t) for t in item.theme_codes]
        )
        await ProviderServiceRegion.bulk_create(
            [ProviderServiceRegion(service_id=service.id, region_id=r) for r in item.region_ids]
        )
    return provider
