"""Social services beside government ones: a scenario names a category (二手房转移登记 with
水电气过户), its plan lists the published services of that category in the plan's region;
themes list them per region; a list of themes costs the same statements for more themes."""

from __future__ import annotations

from typing import Any

import httpx

from tests.applications.conftest import HYGIENE, implementation
from tests.conftest import RunningApp
from tests.providers.conftest import (
    ensure_themes,
    member_of_approved_provider,
    published_service,
    staff_login,
)
from tests.sql import count_statements

UPSERT = """
mutation($input: UpsertScenarioInput!) { upsertScenario(input: $input) {
  __typename ... on UpsertScenarioError { code violations { field message rule } }
} }
"""
PLAN = """
query($answers: [ScenarioAnswerInput!], $region: String) {
  scenarioPlan(code: "resale-home", answers: $answers, regionCode: $region) {
    services { code } providerServices { name category socialService }
  }
}
"""


async def _definition(providers: str = "UTILITIES") -> dict[str, Any]:
    item = await implementation(HYGIENE)
    department = await item.department
    return {
        "name": "二手房转移登记",
        "summary": "转移登记，并可同时办理水电气过户。",
        "audience": "PERSON",
        "themes": ["HOUSING"],
        "leadDepartment": department.code,
        "questions": [{"code": "utilities", "text": "是否同时办理水电气过户？", "kind": "YES_NO"}],
        "items": [
            {"item": HYGIENE[0]},
            {"providerService": providers, "when": {"question": "utilities", "equals": "YES"}},
        ],
    }


async def _publish_scenario(running: RunningApp, admin: str) -> None:
    result = await running.gql.data(
        UPSERT, {"input": {"code": "resale-home", "definition": await _definition()}}, token=admin
    )
    assert result["upsertScenario"]["__typename"] == "Scenario", result
    published = await running.gql.data(
        'mutation { publishScenario(input: {code: "resale-home"}) { __typename } }', token=admin
    )
    assert published["publishScenario"]["__typename"] == "Scenario", published


async def test_a_scenario_plan_lists_the_category_its_answers_lead_to(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    admin = await staff_login(seeded)
    await ensure_themes("HOUSING", "LIVING")
    member = await member_of_approved_provider(seeded, wechat)
    await published_service(seeded, member, admin)  # UTILITIES, the whole city
    await published_service(
        seeded,
        member,
        admin,
        name="锦江区家政保洁",
        category="HOUSEKEEPING",
        regionCodes=["510104"],
    )
    await published_service(
        seeded, member, admin, name="青羊区燃气过户", category="UTILITIES", regionCodes=["510105"]
    )
    await _publish_scenario(seeded, admin)

    wanted = await seeded.gql.data(
        PLAN, {"answers": [{"question": "utilities", "values": ["YES"]}], "region": "510104"}
    )
    elsewhere = await seeded.gql.data(
        PLAN, {"answers": [{"question": "utilities", "values": ["YES"]}], "region": "510105"}
    )
    declined = await seeded.gql.data(
        PLAN, {"answers": [{"question": "utilities", "values": ["NO"]}], "region": "510104"}
    )

    assert wanted["scenarioPlan"]["providerServices"] == [
        {"name": "水电气过户一站办", "category": "UTILITIES", "socialService": True}
    ]
    assert sorted(s["name"] for s in elsewhere["scenarioPlan"]["providerServices"]) == [
        "水电气过户一站办",
        "青羊区燃气过户",
    ]
    assert declined["scenarioPlan"]["providerServices"] == []
    # The government items are the plan's as before: social services are beside them.
    assert wanted["scenarioPlan"]["services"] == declined["scenarioPlan"]["services"]


async def test_a_scenario_names_only_known_categories(seeded: RunningApp) -> None:
    admin = await staff_login(seeded)
    await ensure_themes("HOUSING")

    result = await seeded.gql.data(
        UPSERT,
        {"input": {"code": "resale-home", "definition": await _definition("SOME_PROVIDER")}},
        token=admin,
    )

    error = result["upsertScenario"]
    assert error["__typename"] == "UpsertScenarioError"
    assert {
        "field": "definition.items[1].providerService",
        "rule": "UNKNOWN_CATEGORY",
    }.items() <= error["violations"][0].items()


async def test_themes_list_services_offered_where_the_resident_is(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    admin = await staff_login(seeded)
    await ensure_themes("HOUSING", "LIVING", "MEDICAL", "ELDERLY")
    member = await member_of_approved_provider(seeded, wechat)
    await published_service(
        seeded, member, admin, name="锦江区家政保洁", themeCodes=["LIVING"], regionCodes=["510104"]
    )
    query = """
    query($region: String) { themes { code providerServices(regionCode: $region) { name } } }
    """

    jinjiang = await seeded.gql.data(query, {"region": "510104001001"})  # a community below
    qingyang = await seeded.gql.data(query, {"region": "510105"})
    anywhere = await seeded.gql.data(query, {"region": None})
    unknown = await seeded.gql.data(query, {"region": "999999"})

    def living(result: dict[str, Any]) -> list[str]:
        theme = next(t for t in result["themes"] if t["code"] == "LIVING")
        return [s["name"] for s in theme["providerServices"]]

    assert living(jinjiang) == ["锦江区家政保洁"]
    assert living(qingyang) == []
    assert living(anywhere) == ["锦江区家政保洁"]
    assert living(unknown) == []


async def test_themes_with_their_services_cost_the_same_for_more_themes(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    admin = await staff_login(seeded)
    member = await member_of_approved_provider(seeded, wechat)
    await ensure_themes("HOUSING", "LIVING")
    await published_service(seeded, member, admin, themeCodes=["HOUSING", "LIVING"])
    query = "{ themes { code providerServices { name regions { code } provider { name } } } }"

    # Signed in: answered by the resolvers, not the anonymous response cache.
    with count_statements() as fewer:
        before = await seeded.gql.data(query, token=admin)
    await ensure_themes("TEST_EXTRA_ONE", "TEST_EXTRA_TWO")
    with count_statements() as more:
        after = await seeded.gql.data(query, token=admin)

    assert len(after["themes"]) == len(before["themes"]) + 2
    assert fewer.count == more.count


async def test_cached_anonymous_theme_answers_follow_publication_and_suspension(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    from tests.providers.conftest import SUSPEND

    admin = await staff_login(seeded)
    member = await member_of_approved_provider(seeded, wechat)
    await ensure_themes("HOUSING")
    query = '{ theme(code: "HOUSING") { providerServices { name } } }'

    before = await seeded.gql.data(query)  # cached for anonymous callers
    service = await published_service(seeded, member, admin)
    published = await seeded.gql.data(query)
    await seeded.gql.data(
        SUSPEND, {"input": {"serviceId": service["id"], "reason": "暂停"}}, token=admin
    )
    suspended = await seeded.gql.data(query)

    assert before["theme"]["providerServices"] == []
    assert published["theme"]["providerServices"] == [{"name": "水电气过户一站办"}]
    assert suspended["theme"]["providerServices"] == []
