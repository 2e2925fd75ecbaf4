"""Queries on the catalogue: regions, departments, items, guides, articles, centres, terminals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from tortoise import connections
from tortoise.expressions import Q, Subquery
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from storage.database import hot_statement
from storage.models.catalogue import (
    Article,
    ArticleItem,
    ArticleKind,
    BaseItem,
    CentreService,
    Department,
    Implementation,
    ItemKind,
    ItemType,
    Material,
    PublicationStatus,
    Region,
    Scope,
    ServiceCentre,
    Terminal,
    TerminalService,
    TerminalStatus,
)

WIDER_SCOPES = (Scope.CITYWIDE, Scope.PROVINCE, Scope.CROSS_PROVINCE)

# -- regions and departments


async def regions_by_ids(ids: Sequence[UUID]) -> list[Region]:
    return await Region.filter(id__in=list(ids))


async def regions_by_codes(codes: Sequence[str]) -> list[Region]:
    return await Region.filter(code__in=list(codes))


async def region_children(parent_ids: Sequence[UUID]) -> list[Region]:
    return await Region.filter(parent_id__in=list(parent_ids), retired=False).order_by("code")


async def top_regions() -> list[Region]:
    return await Region.filter(parent_id__isnull=True, retired=False).order_by("code")


async def region_and_ancestors(region: Region) -> list[Region]:
    """The region and every region above it (a county, then the city)."""
    chain = [region]
    while chain[-1].parent_id is not None and len(chain) < 6:
        parent = await Region.get_or_none(id=chain[-1].parent_id)
        if parent is None:
            break
        chain.append(parent)
    return chain


async def region_and_descendant_ids(region: Region) -> list[UUID]:
    """The region and everything below it (streets, communities), level by level."""
    ids, frontier = [region.id], [region.id]
    while frontier:
        found = await Region.filter(parent_id__in=frontier).values_list("id", flat=True)
        frontier = [UUID(str(i)) for i in found]
        ids.extend(frontier)
    return ids


async def all_regions() -> list[Region]:
    return await Region.all()


async def all_departments() -> list[Department]:
    return await Department.all()


async def departments_by_ids(ids: Sequence[UUID]) -> list[Department]:
    return await Department.filter(id__in=list(ids))


async def departments_by_codes(codes: Sequence[str]) -> list[Department]:
    return await Department.filter(code__in=list(codes))


async def departments_in_region(region_id: UUID | None, limit: int) -> list[Department]:
    query = Department.all() if region_id is None else Department.filter(region_id=region_id)
    return await query.order_by("code").limit(limit)


# -- base items


async def base_items_by_ids(ids: Sequence[UUID]) -> list[BaseItem]:
    return await BaseItem.filter(id__in=list(ids))


async def base_items_by_codes(codes: Sequence[str]) -> list[BaseItem]:
    return await BaseItem.filter(basic_code__in=list(codes))


async def base_item(base_id: UUID) -> BaseItem:
    return await BaseItem.get(id=base_id)


async def all_base_items() -> list[BaseItem]:
    return await BaseItem.all()


async def base_item_for_update(basic_code: str) -> BaseItem | None:
    """The base item, locked: concurrent edits of one standard item serialise on it."""
    return await BaseItem.filter(basic_code=basic_code).select_for_update().first()


async def base_item_by_code(basic_code: str) -> BaseItem | None:
    return await BaseItem.get_or_none(basic_code=basic_code)


async def create_base_item(basic_code: str, **fields: Any) -> BaseItem:
    return await BaseItem.create(basic_code=basic_code, **fields)


async def update_base_item(item: BaseItem, **fields: Any) -> BaseItem:
    await item.update_from_dict(fields).save()
    return item


async def update_implementations_of_base(base_id: UUID, **fields: Any) -> int:
    """Writes the base item's denormalised columns into every version of its implementations."""
    return await Implementation.filter(base_id=base_id).update(**fields)


# -- implementations


def published(today: date) -> QuerySet[Implementation]:
    """Versions residents may see: published and within their validity dates."""
    return Implementation.filter(
        Q(status=PublicationStatus.PUBLISHED),
        Q(valid_from__isnull=True) | Q(valid_from__lte=today),
        Q(valid_until__isnull=True) | Q(valid_until__gte=today),
    )


@dataclass(frozen=True, slots=True)
class ServiceQuery:
    """Filters of the `services` list, already resolved to ids."""

    kind: ItemKind | None = None
    item_type: ItemType | None = None
    region_ids: Sequence[UUID] | None = None
    department_id: UUID | None = None
    for_persons: bool | None = None
    for_organisations: bool | None = None
    max_visits: int | None = None
    online_depth: int | None = None
    citywide: bool | None = None
    ids: Sequence[UUID] | None = None
    base_ids: Sequence[UUID] | None = None  # the items of a theme


def services(today: date, query: ServiceQuery) -> QuerySet[Implementation]:
    rows = published(today)
    filters: dict[str, Any] = {}
    if query.kind is not None:
        filters["kind"] = query.kind
    if query.item_type is not None:
        filters["item_type"] = query.item_type
    if query.region_ids is not None:
        filters["region_id__in"] = list(query.region_ids)
    if query.department_id is not None:
        filters["department_id"] = query.department_id
    if query.for_persons:
        filters["for_persons"] = True
    if query.for_organisations:
        filters["for_organisations"] = True
    if query.max_visits is not None:
        filters["visits__lte"] = query.max_visits
    if query.online_depth is not None:
        filters["online_depth__gte"] = query.online_depth
    if query.citywide is True:
        filters["scope__in"] = list(WIDER_SCOPES)
    elif query.citywide is False:
        filters["scope"] = Scope.REGION
    if query.ids is not None:
        filters["id__in"] = list(query.ids)
    if query.base_ids is not None:
        filters["base_id__in"] = list(query.base_ids)
    return rows.filter(**filters)


async def count(query: QuerySet[Implementation]) -> int:
    return await query.count()


async def service_keys(
    today: date, query: ServiceQuery, *, by_name: bool = False
) -> list[tuple[UUID, UUID, UUID]]:
    """(id, base id, region id) of each matching service: enough to pick one per base item;
    `by_name`: in the order of a list by name and code."""
    rows_query = services(today, query)
    if by_name:
        rows_query = rows_query.order_by("name", "code", "id")
    rows = await rows_query.values_list("id", "base_id", "region_id")
    return [(UUID(str(i)), UUID(str(b)), UUID(str(r))) for i, b, r in rows]


async def published_codes_of_base(
    basic_code: str, region_ids: Sequence[UUID], today: date
) -> list[str]:
    """Codes of the base item's implementations a resident of the first region may use: those
    of the region and the regions above it, and every one handled citywide or wider."""
    codes = (
        await published(today)
        .filter(
            Q(region_id__in=list(region_ids)) | Q(scope__in=list(WIDER_SCOPES)),
            base__basic_code=basic_code,
        )
        .values_list("code", flat=True)
    )
    return sorted({str(code) for code in codes})


async def published_by_code(code: str, today: date) -> Implementation | None:
    return await published(today).filter(code=code).first()


# A guide and its materials in one statement (the guide page's read): the materials come as an
# array of rows of their own table, decoded by the driver like any row of it.
_GUIDE_WITH_MATERIALS = (
    "SELECT i.*, ARRAY(SELECT m FROM material m WHERE m.implementation_id = i.id "
    "ORDER BY m.position) AS materials__rows FROM implementation i WHERE i.code = $1 "
    "AND i.status = $2 AND (i.valid_from IS NULL OR i.valid_from <= $3) "
    "AND (i.valid_until IS NULL OR i.valid_until >= $3) LIMIT 1"
)
hot_statement(_GUIDE_WITH_MATERIALS, "", "", date(2000, 1, 1))


async def published_with_materials(
    code: str, today: date
) -> tuple[Implementation, list[Material]] | None:
    """What `published_by_code` finds, with its materials in position order, in one round
    trip."""
    connection = connections.get("default")
    if connection.capabilities.dialect != "postgres":  # the embedded mode's SQLite: two reads
        found = await published_by_code(code, today)
        return (found, await materials_of([found.id])) if found is not None else None
    rows = await connection.execute_query_dict(
        _GUIDE_WITH_MATERIALS, [code, PublicationStatus.PUBLISHED.value, today]
    )
    if not rows:
        return None
    row = rows[0]
    materials = [Material._init_from_db(**dict(m)) for m in row.pop("materials__rows") or ()]
    return Implementation._init_from_db(**row), materials


async def published_by_codes(codes: Sequence[str], today: date) -> list[Implementation]:
    return await published(today).filter(code__in=list(codes))


async def published_by_base_and_regions(
    basic_code: str, region_ids: Sequence[UUID], today: date
) -> list[Implementation]:
    return await published(today).filter(
        base__basic_code=basic_code, region_id__in=list(region_ids)
    )


# One statement text whatever the number of ids: `IN ($1, …, $n)` would be a new statement,
# prepared on its own round trip, for each page size a search happens to fill.
_IMPLEMENTATIONS_BY_IDS = hot_statement(
    "SELECT * FROM implementation WHERE id = ANY($1::uuid[])", []
)


async def implementations_by_ids(ids: Sequence[UUID]) -> list[Implementation]:
    connection = connections.get("default")
    if connection.capabilities.dialect != "postgres":  # the embedded mode's SQLite
        return await Implementation.filter(id__in=list(ids))
    rows = await connection.execute_query_dict(_IMPLEMENTATIONS_BY_IDS, [list(ids)])
    return [Implementation._init_from_db(**row) for row in rows]


async def versions_for_update(code: str) -> list[Implementation]:
    """Every version of one implementation, locked: publishing and editing serialise on it."""
    return await Implementation.filter(code=code).select_for_update().order_by("-version")


async def latest_versions_for_update(codes: Sequence[str]) -> dict[str, int]:
    """The highest version number of each implementation code, its versions locked; set-wise,
    not code by code, for an import of thousands of guides."""
    rows = (
        await Implementation.filter(code__in=list(codes))
        .select_for_update()
        .values("code", "version")
    )
    latest: dict[str, int] = {}
    for row in rows:
        latest[row["code"]] = max(latest.get(row["code"], 0), row["version"])
    return latest


async def create_implementation(code: str, version: int, **fields: Any) -> Implementation:
    return await Implementation.create(code=code, version=version, **fields)


async def update_implementation(implementation: Implementation, **fields: Any) -> Implementation:
    await implementation.update_from_dict(fields).save()
    return implementation


async def add_implementations(rows: Sequence[Implementation]) -> None:
    await Implementation.bulk_create(list(rows), batch_size=500)


async def archive_published(codes: Sequence[str]) -> int:
    """Archives the live version of each implementation code (a new one replaces it)."""
    return await Implementation.filter(
        code__in=list(codes), status=PublicationStatus.PUBLISHED
    ).update(status=PublicationStatus.ARCHIVED)


async def publish_version(draft: Implementation, now: datetime) -> Implementation:
    """Archives the live version of the draft's implementation and makes the draft (with
    any change the caller made to it) the live one. Runs inside the caller's transaction,
    which holds the versions' locks."""
    await Implementation.filter(code=draft.code, status=PublicationStatus.PUBLISHED).update(
        status=PublicationStatus.ARCHIVED
    )
    draft.status = PublicationStatus.PUBLISHED
    draft.published_at = now
    await draft.save()
    return draft


async def add_materials(rows: Sequence[Material]) -> None:
    await Material.bulk_create(list(rows), batch_size=1000)


async def replace_materials(implementation_id: UUID, rows: Sequence[Material]) -> None:
    """The draft's material list, replaced whole: positions are the list's order."""
    await Material.filter(implementation_id=implementation_id).delete()
    await Material.bulk_create(list(rows), batch_size=1000)


async def materials_of(implementation_ids: Sequence[UUID]) -> list[Material]:
    return await Material.filter(implementation_id__in=list(implementation_ids)).order_by(
        "implementation_id", "position"
    )


async def search_entries(today: date) -> list[dict[str, Any]]:
    return await published(today).values(
        "id",
        "code",
        "name",
        "base_id",
        "region_id",
        "base__name",
        "base__keywords",
        "department__name",
    )


async def stats_rows(today: date, region_ids: Sequence[UUID] | None) -> list[dict[str, Any]]:
    """Counts by visits, online depth and scope, for the one-visit and online shares."""
    query = published(today)
    if region_ids is not None:
        query = query.filter(region_id__in=list(region_ids))
    return await (
        query.annotate(n=Count("id"))
        .group_by("visits", "online_depth", "scope")
        .values("visits", "online_depth", "scope", "n")
    )


async def current_versions_in_regions(region_ids: Sequence[UUID]) -> list[Implementation]:
    """Published versions and pending drafts (archived versions are history)."""
    return await Implementation.filter(
        region_id__in=list(region_ids),
        status__in=(PublicationStatus.PUBLISHED, PublicationStatus.DRAFT),
    ).order_by("code", "version")


# -- articles


def articles(
    kind: ArticleKind | None, item_code: str | None, region_ids: Sequence[UUID] | None
) -> QuerySet[Article]:
    query = Article.filter(published=True)
    if kind is not None:
        query = query.filter(kind=kind)
    if region_ids is not None:
        query = query.filter(Q(region_id__in=list(region_ids)) | Q(region_id__isnull=True))
    if item_code is not None:
        query = query.filter(
            id__in=Subquery(ArticleItem.filter(basic_code=item_code).values("article_id"))
        )
    return query


async def article_items(article_ids: Sequence[UUID]) -> list[ArticleItem]:
    return await ArticleItem.filter(article_id__in=list(article_ids)).order_by("basic_code")


async def replace_article_items(article_id: UUID, codes: Sequence[str]) -> None:
    await ArticleItem.filter(article_id=article_id).delete()
    await ArticleItem.bulk_create(
        [ArticleItem(article_id=article_id, basic_code=code) for code in sorted(set(codes))]
    )


async def articles_by_ids(ids: Sequence[UUID]) -> list[Article]:
    return await Article.filter(id__in=list(ids))


async def create_article(**fields: Any) -> Article:
    return await Article.create(**fields)


async def article_for_update(article_id: UUID) -> Article | None:
    return await Article.filter(id=article_id).select_for_update().first()


async def update_article(article: Article, **fields: Any) -> Article:
    await article.update_from_dict(fields).save()
    return article


# -- centres and terminals


@dataclass(frozen=True, slots=True)
class Box:
    south: float
    west: float
    north: float
    east: float


def centres(
    region_ids: Sequence[UUID] | None, box: Box | None, ids: Sequence[UUID] | None = None
) -> QuerySet[ServiceCentre]:
    query = ServiceCentre.all()
    if region_ids is not None:
        query = query.filter(region_id__in=list(region_ids))
    if box is not None:
        query = query.filter(
            latitude__gte=box.south,
            latitude__lte=box.north,
            longitude__gte=box.west,
            longitude__lte=box.east,
        )
    if ids is not None:
        query = query.filter(id__in=list(ids))
    return query


async def count_centres(
    region_ids: Sequence[UUID] | None, ids: Sequence[UUID] | None = None
) -> int:
    return await centres(region_ids, None, ids).count()


async def centre_ids_handling(
    implementation: Implementation,
) -> tuple[list[UUID], bool]:
    """Centres listing the implementation, and whether every citywide centre handles it too."""
    listed = await CentreService.filter(implementation_code=implementation.code).values_list(
        "centre_id", flat=True
    )
    by_rule = await ServiceCentre.filter(
        region_id=implementation.region_id, level__in=("CITY", "COUNTY")
    ).values_list("id", flat=True)
    return [UUID(str(i)) for i in (*listed, *by_rule)], implementation.scope in WIDER_SCOPES


async def citywide_centre_ids() -> list[UUID]:
    ids = await ServiceCentre.filter(accepts_citywide=True).values_list("id", flat=True)
    return [UUID(str(i)) for i in ids]


def terminals(
    region_ids: Sequence[UUID] | None,
    box: Box | None,
    service_codes: Sequence[str] | None,
) -> QuerySet[Terminal]:
    """Terminals in service (or out of it, not retired), offering any of `service_codes`."""
    query = Terminal.filter(status__not=TerminalStatus.RETIRED)
    if region_ids is not None:
        query = query.filter(community_id__in=list(region_ids))
    if box is not None:
        query = query.filter(
            latitude__gte=box.south,
            latitude__lte=box.north,
            longitude__gte=box.west,
            longitude__lte=box.east,
        )
    if service_codes is not None:
        query = query.filter(
            id__in=Subquery(
                TerminalService.filter(implementation_code__in=list(service_codes)).values(
                    "terminal_id"
                )
            )
        )
    return query


async def count_terminals(
    region_ids: Sequence[UUID] | None, service_codes: Sequence[str] | None
) -> int:
    return await terminals(region_ids, None, service_codes).count()


async def terminal_service_codes(terminal_ids: Sequence[UUID]) -> list[TerminalService]:
    return await TerminalService.filter(terminal_id__in=list(terminal_ids))


async def terminal_by_code(code: str) -> Terminal | None:
    return await Terminal.get_or_none(code=code)


async def create_centre(service_codes: Sequence[str], **fields: Any) -> ServiceCentre:
    """A service centre and the implementations it lists (each code once)."""
    centre = await ServiceCentre.create(**fields)
    await CentreService.bulk_create(
        [
            CentreService(centre_id=centre.id, implementation_code=code)
            for code in dict.fromkeys(service_codes)
        ]
    )
    return centre


async def create_terminal(service_codes: Sequence[str], **fields: Any) -> Terminal:
    """A terminal and the implementations it offers (each code once)."""
    terminal = await Terminal.create(**fields)
    await TerminalService.bulk_create(
        [
            TerminalService(terminal_id=terminal.id, implementation_code=code)
            for code in sorted(set(service_codes))
        ]
    )
    return terminal


async def centres_handling_many(
    keys: Sequence[tuple[str, UUID, bool]], limit: int
) -> list[list[ServiceCentre]]:
    """For each (implementation code, its region, handled citywide or wider): the centres that
    handle it (listed, its own region's city and county centres, and every citywide centre
    when it is handled citywide), city first, then by level and name; at most `limit` each.
    Two statements for any number of implementations."""
    if not keys:
        return []
    listed: dict[str, set[UUID]] = {}
    for code, centre_id in await CentreService.filter(
        implementation_code__in=list({code for code, _, _ in keys})
    ).values_list("implementation_code", "centre_id"):
        listed.setdefault(str(code), set()).add(UUID(str(centre_id)))
    wanted = Q(id__in=list({i for ids in listed.values() for i in ids})) | Q(
        region_id__in=list({region for _, region, _ in keys}), level__in=("CITY", "COUNTY")
    )
    if any(wide for _, _, wide in keys):
        wanted |= Q(accepts_citywide=True)
    centres = await ServiceCentre.filter(wanted)
    rank = {"CITY": 0, "COUNTY": 1, "STREET": 2, "COMMUNITY": 3}
    centres.sort(key=lambda c: (rank.get(c.level.value, 9), c.name, str(c.id)))
    found = []
    for code, region_id, wide in keys:
        mine = listed.get(code, set())
        found.append(
            [
                c
                for c in centres
                if c.id in mine
                or (c.region_id == region_id and c.level.value in ("CITY", "COUNTY"))
                or (wide and c.accepts_citywide)
            ][:limit]
        )
    return found


async def set_material_file(material_id: UUID, role: str, file: dict[str, Any] | None) -> int:
    """Attaches (or, with None, detaches) a blank form or a sample to one material row."""
    assert role in ("blank_form", "sample")
    return await Material.filter(id=material_id).update(**{role: file})


async def draft_of(code: str) -> Implementation | None:
    return await Implementation.filter(code=code, status=PublicationStatus.DRAFT).first()


async def draft_for_update(code: str) -> Implementation | None:
    """The implementation's draft version, locked; None when it has none."""
    return (
        await Implementation.filter(code=code, status=PublicationStatus.DRAFT)
        .select_for_update()
        .first()
    )


# -- demo back-fill (what the demo catalogue gained since a database was first seeded)


async def fill_department_phones(phones: dict[str, str]) -> int:
    """Department phones by credit code, only where none is recorded."""
    changed = 0
    for code, phone in phones.items():
        changed += await Department.filter(code=code, phone="").update(phone=phone)
    return changed


async def fill_centre_windows(windows: dict[str, str]) -> int:
    """Centre windows by centre name, only where none are recorded."""
    changed = 0
    for name, text in windows.items():
        changed += await ServiceCentre.filter(name=name, windows="").update(windows=text)
    return changed


async def fill_guides(rows: Sequence[dict[str, Any]], placeholder_phone: str) -> int:
    """For each {code, faqs, resultSample, feeItems, phone}: the versions of that
    implementation whose FAQs, result sample or fee items are still empty get the given ones,
    and a phone still at `placeholder_phone` the given one. One read, and a write only for
    what is still empty."""
    by_code = {row["code"]: row for row in rows}
    changed = 0
    for found in await Implementation.filter(code__in=list(by_code)).values(
        "id", "code", "faqs", "result_sample", "fee_items", "phone"
    ):
        row = by_code[found["code"]]
        update: dict[str, Any] = {}
        if not found["faqs"] and row["faqs"]:
            update["faqs"] = row["faqs"]
        if not found["result_sample"] and row["resultSample"]:
            update["result_sample"] = row["resultSample"]
        if not found["fee_items"] and row["feeItems"]:
            update["fee_items"] = row["feeItems"]
        if found["phone"] == placeholder_phone and row["phone"] not in ("", placeholder_phone):
            update["phone"] = row["phone"]
        if update:
            changed += await Implementation.filter(id=found["id"]).update(**update)
    return changed
