"""Scenario mutations: input in, service call, typed result or typed error out."""

from __future__ import annotations

import strawberry

from resolvers.policy import Action
from resolvers.scenarios import service
from resolvers.scenarios.plan import RawAnswer
from schema.applications.types import Application
from schema.authorised import authorised
from schema.context import Info
from schema.scenarios.types import (
    PublishScenarioInput,
    PublishScenarioResult,
    Scenario,
    SubmitScenarioInput,
    SubmitScenarioResult,
    Theme,
    UpsertScenarioInput,
    UpsertScenarioResult,
    UpsertThemeInput,
    UpsertThemeResult,
)


@strawberry.type
class ScenarioMutation:
    @strawberry.mutation(
        extensions=authorised(Action.SCENARIO_SUBMIT),
        description=(
            "Applies for a scenario bundle: one parent application and one per item, submitted "
            "together and handled in parallel; the parent's status follows its items and one "
            "message tells the resident when all are finished. Real-name residents."
        ),
    )
    async def submit_scenario(self, info: Info, input: SubmitScenarioInput) -> SubmitScenarioResult:
        parent = await service.submit(
            info.context.resources,
            info.context.principal,
            code=input.scenario_code,
            answers=[RawAnswer(a.question, tuple(a.values)) for a in input.answers],
            region_code=input.region_code,
            form=input.form,
            document_ids=[str(i) for i in input.document_ids],
            channel=input.channel,
            idempotency_key=input.idempotency_key,
            plan_digest=input.plan_digest,
        )
        return Application.of(parent)

    @strawberry.mutation(
        extensions=authorised(Action.SCENARIO_UPSERT),
        description=(
            "Writes a scenario's draft (ADMIN or the lead department's STAFF) after checking "
            "it: references, cycles, unreachable items, questions that change nothing."
        ),
    )
    async def upsert_scenario(self, info: Info, input: UpsertScenarioInput) -> UpsertScenarioResult:
        draft = await service.upsert_scenario(
            info.context.resources, info.context.principal, input.code, input.definition
        )
        return Scenario.of(draft)

    @strawberry.mutation(
        extensions=authorised(Action.SCENARIO_PUBLISH),
        description="Checks the draft again and publishes it as the next version.",
    )
    async def publish_scenario(
        self, info: Info, input: PublishScenarioInput
    ) -> PublishScenarioResult:
        live = await service.publish_scenario(
            info.context.resources, info.context.principal, input.code
        )
        return Scenario.of(live)

    @strawberry.mutation(
        extensions=authorised(Action.THEME_UPSERT),
        description="ADMIN: creates or changes a theme and the items listed under it.",
    )
    async def upsert_theme(self, info: Info, input: UpsertThemeInput) -> UpsertThemeResult:
        data = service.ThemeData(
            code=input.code,
            name=input.name,
            audience=input.audience.value,
            description=input.description,
            position=input.position,
            item_codes=list(input.item_codes),
        )
        found = await service.upsert_theme(info.context.resources, info.context.principal, data)
        return Theme.of(found)
