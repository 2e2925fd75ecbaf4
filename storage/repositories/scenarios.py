"""Queries on themes, scenario versions, their submissions, recommendation rules, and what
plans and recommendations read from the catalogue, the wallet and the resident's history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from tortoise.expressions import Q, Subquery
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from storage.models.applications import (
    ActorKind,
    Application,
    ApplicationEvent,
    ApplicationStatus,
    EventType,
)
from storage.models.catalogue import (
    BaseItem,
    Implementation,
    Material,
    PublicationStatus,
    Region,
)
from storage.models.documents import Document, DocumentStatus
from storage.models.scenarios import (
    RecommendationRule,
    Scenario,
    ScenarioItem,
    ScenarioSubmission,
    ScenarioTheme,
    Theme,
    ThemeItem,
)
from storage.repositories import catalogue as catalogue_repo
from storage.repositories.catalogue import published as published_implementations
from storage.repositories.pagination import Page, Scalar, keyset_page

# -- themes


async def themes(audience: str | None, limit: int) -> list[Theme]:
    query = Theme.all() if audience is None else Theme.filter(audience=audience)
    return await query.order_by("position", "code").limit(limit)


async def themes_by_codes(codes: Sequence[str]) -> list[Theme]:
    return await Theme.filter(code__in=list(codes))


async def themes_by_ids(ids: Sequence[UUID]) -> list[Theme]:
    return await Theme.filter(id__in=list(ids))


async def theme_items(theme_ids: Sequence[UUID]) -> list[ThemeItem]:
    return await ThemeItem.filter(theme_id__in=list(theme_ids)).order_by(
        "theme_id", "position", "basic_code"
    )


async def theme_item_codes(theme_code: str) -> list[str] | None:
    """The basic codes listed under a theme; None when there is no such theme."""
    theme = await Theme.get_or_none(code=theme_code)
    if theme is None:
        return None
    rows = await ThemeItem.filter(theme_id=theme.id).values_list("basic_code", flat=True)
    return [str(code) for code in rows]


async def lock_theme(code: str) -> Theme | None:
    return await Theme.filter(code=code).select_for_update().first()


async def create_theme(**fields: Any) -> Theme:
    return await Theme.create(**fields)


async def update_theme(theme_id: UUID, **fields: Any) -> None:
    await Theme.filter(id=theme_id).update(**fields)


async def replace_theme_items(theme_id: UUID, codes: Sequence[str]) -> None:
    await ThemeItem.filter(theme_id=theme_id).delete()
    await ThemeItem.bulk_create(
        [ThemeItem(theme_id=theme_id, basic_code=c, position=n) for n, c in enumerate(codes)]
    )


# -- scenario versions


def published_scenarios() -> QuerySet[Scenario]:
    return Scenario.filter(status=PublicationStatus.PUBLISHED)


async def published_scenario(code: str) -> Scenario | None:
    return await published_scenarios().filter(code=code).first()


async def published_scenarios_by_codes(codes: Sequence[str]) -> list[Scenario]:
    return await published_scenarios().filter(code__in=list(codes))


async def scenarios_by_ids(ids: Sequence[UUID]) -> list[Scenario]:
    return await Scenario.filter(id__in=list(ids))


async def scenario_page(
    *,
    audience: str | None,
    theme_id: UUID | None,
    keyword: str | None,
    first: int,
    after: Sequence[Scalar] | None,
) -> Page[Scenario]:
    query = published_scenarios()
    if audience is not None:
        query = query.filter(audience=audience)
    if theme_id is not None:
        query = query.filter(
            id__in=Subquery(ScenarioTheme.filter(theme_id=theme_id).values("scenario_id"))
        )
    if keyword:
        query = query.filter(Q(name__icontains=keyword) | Q(summary__icontains=keyword))
    return await keyset_page(query, order=("position", "code"), first=first, after=after)


async def published_scenarios_of_themes(theme_ids: Sequence[UUID]) -> list[tuple[UUID, Scenario]]:
    links = await ScenarioTheme.filter(
        theme_id__in=list(theme_ids), scenario__status=PublicationStatus.PUBLISHED
    ).values("theme_id", "scenario_id")
    found = {s.id: s for s in await scenarios_by_ids([UUID(str(r["scenario_id"])) for r in links])}
    pairs = [(UUID(str(r["theme_id"])), found[UUID(str(r["scenario_id"]))]) for r in links]
    return sorted(pairs, key=lambda p: (p[1].position, p[1].code))


async def themes_of_scenarios(scenario_ids: Sequence[UUID]) -> list[tuple[UUID, Theme]]:
    links = await ScenarioTheme.filter(scenario_id__in=list(scenario_ids)).values(
        "scenario_id", "theme_id"
    )
    found = {t.id: t for t in await themes_by_ids([UUID(str(r["theme_id"])) for r in links])}
    pairs = [(UUID(str(r["scenario_id"])), found[UUID(str(r["theme_id"]))]) for r in links]
    return sorted(pairs, key=lambda p: (p[1].position, p[1].code))


async def versions_for_update(code: str) -> list[Scenario]:
    """Every version of one scenario, locked: editing and publishing serialise on it."""
    return await Scenario.filter(code=code).select_for_update().order_by("-version")


async def latest_version(code: str) -> Scenario | None:
    return await Scenario.filter(code=code).order_by("-version").first()


async def create_version(**fields: Any) -> Scenario:
    return await Scenario.create(**fields)


async def update_version(scenario_id: UUID, **fields: Any) -> None:
    await Scenario.filter(id=scenario_id).update(**fields)


async def archive(scenario_id: UUID) -> None:
    await Scenario.filter(id=scenario_id).update(status=PublicationStatus.ARCHIVED)


async def publish(scenario_id: UUID, now: datetime) -> bool:
    updated = await Scenario.filter(id=scenario_id, status=PublicationStatus.DRAFT).update(
        status=PublicationStatus.PUBLISHED, published_at=now
    )
    return updated == 1


async def replace_links(
    scenario_id: UUID, basic_codes: Sequence[str], theme_ids: Sequence[UUID]
) -> None:
    await ScenarioItem.filter(scenario_id=scenario_id).delete()
    await ScenarioTheme.filter(scenario_id=scenario_id).delete()
    await add_links(scenario_id, basic_codes, theme_ids)


async def add_links(
    scenario_id: UUID, basic_codes: Sequence[str], theme_ids: Sequence[UUID]
) -> None:
    await ScenarioItem.bulk_create(
        [
            ScenarioItem(scenario_id=scenario_id, basic_code=c, position=n)
            for n, c in enumerate(basic_codes)
        ]
    )
    await ScenarioTheme.bulk_create(
        [ScenarioTheme(scenario_id=scenario_id, theme_id=t) for t in theme_ids]
    )


# -- the catalogue, as plans read it


async def base_items_by_codes(codes: Sequence[str]) -> list[BaseItem]:
    return await BaseItem.filter(basic_code__in=list(codes))


async def published_for_bases(
    base_ids: Sequence[UUID], region_ids: Sequence[UUID], today: date
) -> list[Implementation]:
    """Every published implementation of these items in these regions (one statement)."""
    if not base_ids or not region_ids:
        return []
    return await published_implementations(today).filter(
        base_id__in=list(base_ids), region_id__in=list(region_ids)
    )


async def nearest_implementations(
    region: Region, base_ids: Sequence[UUID], today: date
) -> dict[UUID, Implementation]:
    """Each item's published implementation for a region: the region's own, else the nearest
    level above (a county's before the city's), as `service(code, regionCode)` answers."""
    chain = await catalogue_repo.region_and_ancestors(region)
    rank = {r.id: depth for depth, r in enumerate(chain)}
    found: dict[UUID, Implementation] = {}
    rows = await published_for_bases(base_ids, list(rank), today)
    for row in sorted(rows, key=lambda r: (rank[r.region_id], r.code)):
        found.setdefault(row.base_id, row)
    return found


async def services_in_regions(
    keys: Sequence[tuple[str, str]], today: date
) -> list[Implementation | None]:
    """For (region code, basic code) pairs: the nearest published implementation, batched
    per region (a DataLoader's batch)."""
    regions = {
        r.code: r for r in await catalogue_repo.regions_by_codes(sorted({k[0] for k in keys}))
    }
    bases = {b.basic_code: b for b in await base_items_by_codes(sorted({k[1] for k in keys}))}
    found: dict[tuple[str, str], Implementation] = {}
    for code, region in regions.items():
        wanted = [bases[b] for r, b in keys if r == code and b in bases]
        nearest = await nearest_implementations(region, [b.id for b in wanted], today)
        for base in wanted:
            if base.id in nearest:
                found[(code, base.basic_code)] = nearest[base.id]
    return [found.get(key) for key in keys]


async def published_by_codes(codes: Sequence[str], today: date) -> list[Implementation]:
    return await published_implementations(today).filter(code__in=list(codes))


async def materials_of(implementation_ids: Sequence[UUID]) -> list[Material]:
    return await Material.filter(implementation_id__in=list(implementation_ids)).order_by(
        "implementation_id", "position"
    )


async def material_names_of_bases(base_ids: Sequence[UUID]) -> list[tuple[UUID, str]]:
    """(base item, material name) of every published implementation's materials."""
    rows = await Material.filter(
        implementation__base_id__in=list(base_ids),
        implementation__status=PublicationStatus.PUBLISHED,
    ).values("implementation__base_id", "name")
    return [(UUID(str(r["implementation__base_id"])), str(r["name"])) for r in rows]


# -- the wallet and history, of the signed-in resident only


async def wallet_documents(owner_id: UUID, kinds: Sequence[str]) -> list[Document]:
    if not kinds:
        return []
    return await Document.filter(
        owner_id=owner_id, status=DocumentStatus.AVAILABLE, kind__in=list(kinds)
    ).order_by("-created_at")


async def documents_ending_by(owner_id: UUID, until: date) -> list[Document]:
    """The owner's available documents whose validity ends on or before `until`."""
    return await Document.filter(
        owner_id=owner_id,
        status=DocumentStatus.AVAILABLE,
        valid_until__isnull=False,
        valid_until__lte=until,
    ).order_by("valid_until", "id")


async def has_document_of_kind(owner_id: UUID, kind: str) -> bool:
    return await Document.filter(
        owner_id=owner_id, status=DocumentStatus.AVAILABLE, kind=kind
    ).exists()


async def issuing_applications(document_ids: Sequence[UUID]) -> list[dict[str, Any]]:
    """For documents that are results of applications: the item they were issued for."""
    if not document_ids:
        return []
    return await Application.filter(result_document_id__in=list(document_ids)).values(
        "result_document_id", "implementation__base_id", "implementation__result_name"
    )


async def history(owner_id: UUID, since: datetime, limit: int) -> list[dict[str, Any]]:
    """The owner's own applications (not bundle parents) since a moment, newest first."""
    return (
        await Application.filter(
            owner_id=owner_id, submitted_at__gte=since, implementation_id__isnull=False
        )
        .order_by("-submitted_at")
        .limit(limit)
        .values("implementation__base_id", "status", "submitted_at")
    )


async def popular(
    since: datetime, limit: int, region_prefix: str | None = None
) -> list[dict[str, Any]]:
    """Applications per implementation since a moment, counts only, most first; only those
    to implementations of a region and below when `region_prefix` (its code, trailing zero
    pairs stripped) is given."""
    query = Application.filter(submitted_at__gte=since, implementation_id__isnull=False)
    if region_prefix is not None:
        query = query.filter(region__code__startswith=region_prefix)
    return (
        await query.annotate(n=Count("id"))
        .group_by("implementation_id")
        .order_by("-n")
        .limit(limit)
        .values("implementation_id", "n")
    )


async def implementations_by_ids(ids: Sequence[UUID]) -> list[Implementation]:
    return await Implementation.filter(id__in=list(ids))


async def rules() -> list[RecommendationRule]:
    return await RecommendationRule.filter(active=True).order_by("priority", "code")


# -- submissions and bundles


async def submissions_of(application_ids: Sequence[UUID]) -> list[ScenarioSubmission]:
    return await ScenarioSubmission.filter(application_id__in=list(application_ids))


async def children_statuses(parent_id: UUID) -> list[dict[str, Any]]:
    return await Application.filter(parent_id=parent_id).values("id", "status")


async def lock_application(application_id: UUID) -> Application | None:
    return await Application.filter(id=application_id).select_for_update().first()


async def move_parent(application_id: UUID, *, expected: ApplicationStatus, **changes: Any) -> bool:
    updated = await Application.filter(id=application_id, status=expected).update(**changes)
    return updated == 1


async def create_parent(**fields: Any) -> Application:
    """A bundle's parent: no implementation and no department of its own."""
    return await Application.create(implementation_id=None, department_id=None, **fields)


async def create_submission(**fields: Any) -> ScenarioSubmission:
    return await ScenarioSubmission.create(**fields)


async def add_event(
    application_id: UUID,
    type: EventType,
    status: ApplicationStatus,
    *,
    at: datetime,
    actor_id: UUID | None,
    actor_kind: ActorKind,
    note: str = "",
) -> None:
    await ApplicationEvent.create(
        application_id=application_id,
        type=type,
        status=status,
        at=at,
        actor_id=actor_id,
        actor_kind=actor_kind,
        note=note,
    )


async def base_items_by_ids(ids: Sequence[UUID]) -> list[BaseItem]:
    return await BaseItem.filter(id__in=list(ids))
