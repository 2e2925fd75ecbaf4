"""Scenario mutations: input in, service call, typed result or typed error out."""

from __future__ import annotations

from resolvers.scenarios import service
from resolvers.scenarios.errors import ScenarioError
from resolvers.scenarios.plan import RawAnswer
from schema.applications import Application
from schema.context import Info
from schema.scenarios import (
    PublishScenarioError,
    PublishScenarioInput,
    PublishScenarioResult,
    Scenario,
    SubmitScenarioError,
    SubmitScenarioInput,
    SubmitScenarioResult,
    Theme,
    UpsertScenarioError,
    UpsertScenarioInput,
    UpsertScenarioResult,
    UpsertThemeError,
    UpsertThemeInput,
    UpsertThemeResult,
)


async def submit_scenario(info: Info, input: SubmitScenarioInput) -> SubmitScenarioResult:
    try:
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
    except ScenarioError as error:
        return SubmitScenarioError.of(error)
    return Application.of(parent)


async def upsert_scenario(info: Info, input: UpsertScenarioInput) -> UpsertScenarioResult:
    try:
        draft = await service.upsert_scenario(
            info.context.resources, info.context.principal, input.code, input.definition
        )
    except ScenarioError as error:
        return UpsertScenarioError.of(error)
    return Scenario.of(draft)


async def publish_scenario(info: Info, input: PublishScenarioInput) -> PublishScenarioResult:
    try:
        live = await service.publish_scenario(
            info.context.resources, info.context.principal, input.code
        )
    except ScenarioError as error:
        return PublishScenarioError.of(error)
    return Scenario.of(live)


async def upsert_theme(info: Info, input: UpsertThemeInput) -> UpsertThemeResult:
    data = service.ThemeData(
        code=input.code,
        name=input.name,
        audience=input.audience.value,
        description=input.description,
        position=input.position,
        item_codes=list(input.item_codes),
    )
    try:
        found = await service.upsert_theme(info.context.resources, info.context.principal, data)
    except ScenarioError as error:
        return UpsertThemeError.of(error)
    return Theme.of(found)
