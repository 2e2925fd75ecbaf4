"""scenarios and scenario: the published bundles with their questions, found by theme,
audience or words, paged; their cost does not grow with their number."""

from __future__ import annotations

from typing import Any

from strawberry import relay

from storage.models.scenarios import Scenario
from tests.conftest import RunningApp
from tests.scenarios.conftest import staff_token
from tests.scenarios.test_upsert_scenario import DEFINITION, upsert
from tests.sql import count_statements

LIST = """
query($filter: ScenarioFilter, $first: Int, $after: String) {
  scenarios(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id code name audience version
      questions { code kind options { value label } askedWhen dependsOn min max unit }
      items { baseCode when item { name } }
      themes { code name } leadDepartment { name } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


async def scenarios(running: RunningApp, **variables: object) -> dict[str, Any]:
    data = await running.gql.data(LIST, variables)
    return dict(data["scenarios"])


async def test_the_published_bundles(seeded: RunningApp) -> None:
    page = await scenarios(seeded, first=50)

    names = [e["node"]["name"] for e in page["edges"]]
    assert len(names) == 8
    assert {
        "新生儿出生一件事",
        "开办餐饮店",
        "企业开办",
        "退休一件事",
        "身后一件事",
        "二手房转移登记",
    } <= set(names)
    newborn = next(e["node"] for e in page["edges"] if e["node"]["code"] == "newborn")
    assert newborn["leadDepartment"] == {"name": "成都市卫生健康委员会"}
    assert [t["code"] for t in newborn["themes"]] == ["BIRTH"]
    married = next(q for q in newborn["questions"] if q["code"] == "parentsMarried")
    assert married["askedWhen"] == {"question": "registerHukou", "equals": "YES"}
    assert married["dependsOn"] == ["registerHukou"]
    assert [o["label"] for o in married["options"]] == ["是", "否"]
    assert next(i["item"]["name"] for i in newborn["items"]) == "出生医学证明签发"


async def test_filters_and_pages(seeded: RunningApp) -> None:
    births = await scenarios(seeded, filter={"themeCode": "BIRTH"})
    organisations = await scenarios(seeded, filter={"audience": "ORGANISATION"})
    words = await scenarios(seeded, filter={"keyword": "餐饮"})
    nowhere = await scenarios(seeded, filter={"themeCode": "NOWHERE"})
    first = await scenarios(seeded, first=3)
    rest = await scenarios(seeded, first=50, after=first["pageInfo"]["endCursor"])

    assert {e["node"]["code"] for e in births["edges"]} == {"newborn", "marriage"}
    assert {e["node"]["code"] for e in organisations["edges"]} == {"restaurant", "company"}
    assert [e["node"]["code"] for e in words["edges"]] == ["restaurant"]
    assert nowhere["edges"] == []
    assert first["pageInfo"]["hasNextPage"] is True
    seen = [e["node"]["code"] for e in [*first["edges"], *rest["edges"]]]
    assert len(seen) == len(set(seen)) == 8


async def test_one_scenario_and_its_node(seeded: RunningApp) -> None:
    found = await seeded.gql.data(
        '{ scenario(code: "restaurant") { id code questions { code } } '
        'missing: scenario(code: "nope") { code } }'
    )
    node = await seeded.gql.data(
        "query($id: ID!) { node(id: $id) { ... on Scenario { code } } }",
        {"id": found["scenario"]["id"]},
    )

    assert [q["code"] for q in found["scenario"]["questions"]] == [
        "hasLicence",
        "entityType",
        "signboard",
        "employees",
    ]
    assert found["missing"] is None
    assert node["node"] == {"code": "restaurant"}


async def test_drafts_are_nodes_for_staff_only(seeded: RunningApp) -> None:
    admin = await staff_token(seeded, "demo-admin")
    await upsert(seeded, admin, DEFINITION)
    draft = await Scenario.get(code="mortgage")
    global_id = relay.to_base64("Scenario", draft.id)
    query = "query($id: ID!) { node(id: $id) { ... on Scenario { status } } }"

    by_staff = await seeded.gql.data(query, {"id": global_id}, token=admin)
    by_anyone = await seeded.gql.data(query, {"id": global_id})
    listing = await seeded.gql.data(
        '{ scenarios(first: 50, filter: {themeCode: "HOUSING"}) { edges { node { code } } } }'
    )

    assert by_staff["node"] == {"status": "DRAFT"}
    assert by_anyone["node"] is None
    assert [e["node"]["code"] for e in listing["scenarios"]["edges"]] == ["resale-home"]


async def test_the_list_costs_the_same_statements_for_any_number(seeded: RunningApp) -> None:
    with count_statements() as few:
        await scenarios(seeded, first=2)
    with count_statements() as many:
        await scenarios(seeded, first=8)

    assert few.count == many.count
