"""Catalogue queries: thin resolvers over resolvers/catalogue/service.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import strawberry

from resolvers.catalogue import service
from resolvers.catalogue.errors import CatalogueError
from resolvers.policy import Action
from schema.authorised import authorised
from schema.catalogue.types import (
    DEPARTMENTS,
    DIVERGENCES,
    REGIONS,
    Article,
    ArticleConnection,
    ArticleFilter,
    CatalogueDivergence,
    Department,
    Region,
    Service,
    ServiceCentre,
    ServiceCentreConnection,
    ServiceCentreFilter,
    ServiceConnection,
    ServiceFilter,
    ServiceStats,
    Terminal,
    TerminalConnection,
    TerminalFilter,
)
from schema.context import Info
from schema.error_codes import PublicError
from schema.ids import node_uuid
from schema.pagination import Edge, PageInfo, connection_of, edges_of, page_request

T = TypeVar("T")


def _plausible(code: str, longest: int) -> bool:
    """Codes longer than any real one, or with control characters, match nothing."""
    return 0 < len(code) <= longest and code.isprintable()


def _cap(info: Info) -> int:
    return info.context.resources.settings.max_page_size


def _bad_input(error: CatalogueError) -> PublicError:
    return PublicError(error.message, "BAD_USER_INPUT", field=error.field)


def _empty_services() -> ServiceConnection:
    async def zero() -> int:
        return 0

    return ServiceConnection(
        edges=[], page_info=PageInfo(has_next_page=False, end_cursor=None), _total=zero
    )


def _near(point: object | None) -> tuple[float, float] | None:
    if point is None:
        return None
    lat, lng = float(point.lat), float(point.lng)  # type: ignore[attr-defined]
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise PublicError("坐标超出范围。", "BAD_USER_INPUT", field="filter.near")
    return lat, lng


def _placed_connection(
    found: service.PlacedPage, convert: Callable[[service.Placed], T]
) -> tuple[list[Edge[T]], PageInfo]:
    nodes = [convert(place) for place in found.places]
    return edges_of(nodes, found.positions, found.kind, found.has_next)


@strawberry.type
class CatalogueQuery:
    @strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        directives=REGIONS.directives,
        description=(
            REGIONS.describe("Top-level regions, or the regions directly below `parentCode`.")
        ),
    )
    async def regions(
        self, info: Info, parent_code: str | None = None, first: int | None = REGIONS.default
    ) -> list[Region]:
        """Top-level regions, or the children of `parentCode`; an unknown code gives []."""
        size = REGIONS.size(first)
        if parent_code is None:
            return [Region.of(row) for row in await service.top_regions(size)]
        if not _plausible(parent_code, 12):
            return []
        parent = await info.context.loaders.region_by_code.load(parent_code)
        if parent is None:
            return []
        rows = await info.context.loaders.region_children.load(parent.id)
        return [Region.of(row) for row in rows[:size]]

    @strawberry.field(extensions=authorised(Action.READ_PUBLIC))
    async def region(self, info: Info, code: str) -> Region | None:
        if not _plausible(code, 12):
            return None
        row = await info.context.loaders.region_by_code.load(code)
        return Region.of(row) if row else None

    @strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        directives=DEPARTMENTS.directives,
        description=(
            DEPARTMENTS.describe("Departments, optionally only those of one region (by code).")
        ),
    )
    async def departments(
        self, info: Info, region_code: str | None = None, first: int | None = DEPARTMENTS.default
    ) -> list[Department]:
        size = DEPARTMENTS.size(first)
        region_id = None
        if region_code is not None:
            row = (
                await info.context.loaders.region_by_code.load(region_code)
                if _plausible(region_code, 12)
                else None
            )
            if row is None:
                return []
            region_id = row.id
        return [Department.of(row) for row in await service.departments(region_id, size)]

    @strawberry.field(
        extensions=authorised(Action.READ_PUBLIC), description="A department by credit code."
    )
    async def department(self, info: Info, code: str) -> Department | None:
        if not _plausible(code, 18):
            return None
        row = await info.context.loaders.department_by_code.load(code)
        return Department.of(row) if row else None

    @strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        description=(
            "Published services. With a keyword: ranked by relevance (at most 1,000 results); "
            "otherwise by name. Without `regionCode` (keyword or not): one card per base item, "
            "the implementation of the caller's region when known, else the city's (else any); "
            "with it: every implementation a resident there may use. `first` defaults to 20, "
            "at most 50."
        ),
    )
    async def services(
        self,
        info: Info,
        filter: ServiceFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> ServiceConnection:
        wanted = filter or ServiceFilter()
        filters = service.ServiceFilter(
            keyword=wanted.keyword,
            kind=wanted.kind,
            item_type=wanted.item_type,
            region_code=wanted.region_code,
            department_code=wanted.department_code,
            audience=wanted.audience,
            max_visits=wanted.max_visits,
            online_depth=wanted.online_depth,
            citywide=wanted.citywide,
            theme_code=wanted.theme_code,
        )
        request = page_request(first, after, cap=_cap(info), kind=service.cursor_kind(filters))
        try:
            result = await service.list_services(
                info.context.resources,
                filters,
                first=request.first,
                after=request.after,
                principal=info.context.principal,
            )
        except CatalogueError as error:
            raise _bad_input(error) from None
        if result is None:
            return _empty_services()
        edges, page_info = connection_of(result.page, Service.of, result.kind)
        return ServiceConnection(edges=edges, page_info=page_info, _total=result.total_count)

    @strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        description=(
            "A published service by implementation code, or by basic code with `regionCode` "
            "(the region's own implementation, else the nearest level above). Null if unknown."
        ),
    )
    async def service(
        self, info: Info, code: str, region_code: str | None = None
    ) -> Service | None:
        found = await service.get_service_with_materials(info.context.resources, code, region_code)
        if found is None:
            return None
        row, materials = found
        return Service.of(row, materials)

    @strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        description="Shares for a region and everything below it; the whole city without a code.",
    )
    async def service_stats(
        self, info: Info, region_code: str | None = None
    ) -> ServiceStats | None:
        stats = await service.service_stats(region_code)
        return ServiceStats.of(stats) if stats else None

    @strawberry.field(
        extensions=authorised(Action.CATALOGUE_DIVERGENCES),
        directives=DIVERGENCES.directives,
        description=(
            DIVERGENCES.describe(
                "Implementations in the region that differ from their base item (staff)."
            )
        ),
    )
    async def catalogue_divergences(
        self, info: Info, region_code: str, first: int | None = DIVERGENCES.default
    ) -> list[CatalogueDivergence]:
        size = DIVERGENCES.size(first)
        reports = await service.divergence_report(
            info.context.resources, info.context.principal, region_code, size
        )
        return [
            CatalogueDivergence(
                service=Service.of(report.implementation),
                fields=report.fields,
                justification=report.implementation.divergence_justification,
            )
            for report in reports
        ]

    @strawberry.field(extensions=authorised(Action.READ_PUBLIC), description="Newest first.")
    async def articles(
        self,
        info: Info,
        filter: ArticleFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> ArticleConnection:
        wanted = filter or ArticleFilter()
        request = page_request(first, after, cap=_cap(info))
        page = await service.list_articles(
            wanted.kind,
            wanted.item_code,
            wanted.region_code,
            first=request.first,
            after=request.after,
        )
        if page is None:
            return ArticleConnection(
                edges=[], page_info=PageInfo(has_next_page=False, end_cursor=None)
            )
        edges, page_info = connection_of(page, Article.of, "k")
        return ArticleConnection(edges=edges, page_info=page_info)

    @strawberry.field(extensions=authorised(Action.READ_PUBLIC))
    async def article(self, info: Info, id: strawberry.ID) -> Article | None:
        article_id = node_uuid(id, "Article")
        if article_id is None:
            return None
        row = await info.context.loaders.article.load(article_id)
        return Article.of(row) if row is not None and row.published else None

    @strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        description="Sorted by distance from `filter.near` when given, else by name.",
    )
    async def service_centres(
        self,
        info: Info,
        filter: ServiceCentreFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> ServiceCentreConnection:
        wanted = filter or ServiceCentreFilter()
        near = _near(wanted.near)
        request = page_request(first, after, cap=_cap(info), kind="o" if near else "k")
        found = (
            await service.list_centres(
                info.context.resources,
                wanted.region_code,
                wanted.service_code,
                near,
                first=request.first,
                after=request.after,
                principal=info.context.principal,
            )
            or service.EMPTY_PLACES
        )
        edges, page_info = _placed_connection(found, ServiceCentre.of)
        return ServiceCentreConnection(edges=edges, page_info=page_info, _total=found.total_count)

    @strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        description="Sorted by distance from `filter.near` when given, else by code.",
    )
    async def terminals(
        self,
        info: Info,
        filter: TerminalFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> TerminalConnection:
        wanted = filter or TerminalFilter()
        near = _near(wanted.near)
        request = page_request(first, after, cap=_cap(info), kind="o" if near else "k")
        found = (
            await service.list_terminals(
                info.context.resources,
                wanted.region_code,
                wanted.community_code,
                wanted.service_code,
                near,
                first=request.first,
                after=request.after,
                principal=info.context.principal,
            )
            or service.EMPTY_PLACES
        )
        edges, page_info = _placed_connection(found, Terminal.of)
        return TerminalConnection(edges=edges, page_info=page_info, _total=found.total_count)
