"""Scenario and theme queries: thin resolvers over resolvers/scenarios/service.py."""

from __future__ import annotations

import strawberry

from resolvers.catalogue.service import Audience
from resolvers.policy import Action
from resolvers.scenarios import recommendations, service
from resolvers.scenarios.errors import ScenarioError
from resolvers.scenarios.plan import RawAnswer
from schema.authorised import authorised
from schema.context import Info
from schema.error_codes import PublicError
from schema.pagination import PageInfo, connection_of, page_request
from schema.scenarios.types import (
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


@strawberry.type
class ScenarioQuery:
    @strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        directives=THEMES.directives,
        description=(
            THEMES.describe(
                "Life events (PERSON) and business stages (ORGANISATION), in display order."
            )
        ),
    )
    async def themes(
        self, info: Info, audience: Audience | None = None, first: int | None = THEMES.default
    ) -> list[Theme]:
        size = THEMES.size(first)
        rows = await service.themes(audience.value if audience else None, size)
        return [Theme.of(row) for row in rows]

    @strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        description="A theme by code (BIRTH, MARKET_ENTRY ...).",
    )
    async def theme(self, info: Info, code: str) -> Theme | None:
        row = await service.theme(code)
        return Theme.of(row) if row else None

    @strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        description="Published scenario bundles (一件事), in display order. `first` at most 50.",
    )
    async def scenarios(
        self,
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
            page = await service.scenarios(
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

    @strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        description="A published scenario bundle by code, with its questions; null if unknown.",
    )
    async def scenario(self, info: Info, code: str) -> Scenario | None:
        row = await service.published(code)
        return Scenario.of(row) if row else None

    @strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        description=(
            "What the answers lead to: items as the region's services, one merged material "
            "list, promisedDays (working days, the longest item: handled in parallel) and "
            "visits. Partial answers give a partial plan (see complete, missingQuestions). "
            "Wrong answers are errors with extensions.code (UNKNOWN_QUESTION, INVALID_ANSWER, "
            "QUESTION_NOT_ASKED, ...) and field. Null for an unknown scenario."
        ),
    )
    async def scenario_plan(
        self,
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

    @strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        directives=RECOMMENDATIONS.directives,
        description=(
            "For a signed-in resident: services chosen from their own verified profile, "
            "wallet and history, each with a reason; then, for anyone, services popular in "
            "the district (`regionCode`, else a verified resident's own) and in the city over "
            "the last 30 days; then what everyone commonly needs, so the list is never empty "
            f"once the catalogue is loaded. `first` 1-{RECOMMENDATIONS.cap}, default "
            f"{RECOMMENDATIONS.default}."
        ),
    )
    async def recommended_services(
        self,
        info: Info,
        first: int = RECOMMENDATIONS.default,
        region_code: str | None = None,
    ) -> list[Recommendation]:
        size = RECOMMENDATIONS.size(first)
        try:
            found = await recommendations.recommend(
                info.context.resources, info.context.principal, size, region_code
            )
        except ScenarioError as error:
            raise PublicError(error.message, error.code.value, field="regionCode") from None
        return [Recommendation.of(item) for item in found]
