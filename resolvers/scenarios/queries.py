"""Scenario and theme queries: thin resolvers over resolvers/scenarios/service.py."""

from __future__ import annotations

from resolvers.catalogue.service import Audience
from resolvers.scenarios import recommendations, service
from resolvers.scenarios.errors import ScenarioError
from resolvers.scenarios.plan import RawAnswer
from schema.context import Info
from schema.error_codes import PublicError
from schema.pagination import PageInfo, connection_of, page_request
from schema.scenarios import (
    RECOMMENDATIONS,
    THEMES,
    Recommendation,
    Scenario,
    ScenarioAnswerInput,
    ScenarioConnection,
    ScenarioFilter,
    ScenarioPlan,
    Theme,
)
from storage.repositories import scenarios as repo


async def themes(
    info: Info, audience: Audience | None = None, first: int | None = THEMES.default
) -> list[Theme]:
    size = THEMES.size(first)
    rows = await service.themes(audience.value if audience else None, size)
    return [Theme.of(row) for row in rows]


async def theme(info: Info, code: str) -> Theme | None:
    row = await service.theme(code)
    return Theme.of(row) if row else None


async def scenarios(
    info: Info,
    filter: ScenarioFilter | None = None,
    first: int | None = None,
    after: str | None = None,
) -> ScenarioConnection:
    request = page_request(first, after, cap=info.context.resources.settings.max_page_size)
    wanted = filter or ScenarioFilter()
    keyword = (wanted.keyword or "").strip()
    if len(keyword) > service.MAX_KEYWORD:
        raise PublicError("关键词过长。", "BAD_USER_INPUT", field="filter.keyword")
    theme_id = None
    if wanted.theme_code is not None:
        found = await service.theme(wanted.theme_code)
        if found is None:
            return ScenarioConnection(
                edges=[], page_info=PageInfo(has_next_page=False, end_cursor=None)
            )
        theme_id = found.id
    try:
        page = await repo.scenario_page(
            audience=wanted.audience.value if wanted.audience else None,
            theme_id=theme_id,
            keyword=keyword or None,
            first=request.first,
            after=request.after,
        )
    except ValueError:
        raise PublicError("分页游标无效。", "BAD_USER_INPUT", field="after") from None
    edges, page_info = connection_of(page, Scenario.of, request.kind)
    return ScenarioConnection(edges=edges, page_info=page_info)


async def scenario(info: Info, code: str) -> Scenario | None:
    row = await service.published(code)
    return Scenario.of(row) if row else None


async def scenario_plan(
    info: Info,
    code: str,
    answers: list[ScenarioAnswerInput] | None = None,
    region_code: str | None = None,
) -> ScenarioPlan | None:
    raw = [RawAnswer(a.question, tuple(a.values)) for a in answers or []]
    try:
        plan = await service.plan(
            info.context.resources, info.context.principal, code, raw, region_code
        )
    except ScenarioError as error:
        # A query: expected errors come back as GraphQL errors with the code and the field.
        raise PublicError(
            error.message, error.code.value, field=error.field, fields=list(error.fields)
        ) from None
    return ScenarioPlan.of(plan) if plan else None


async def recommended_services(
    info: Info, first: int = RECOMMENDATIONS.default
) -> list[Recommendation]:
    size = RECOMMENDATIONS.size(first)
    found = await recommendations.recommend(info.context.resources, info.context.principal, size)
    return [Recommendation.of(item) for item in found]
