"""The 12345 centre reads the dispatch table as it stands and every version of it (who, when,
before and after), in bounded pages whose cost does not grow with the page."""

from __future__ import annotations

from typing import Any

from tests.appeals.conftest import CENTRE, URBAN, WATER, admin_token, resident, staff_token
from tests.conftest import RunningApp
from tests.sql import count_statements

SET_ROUTE = (
    "mutation($input: SetAppealRouteInput!) { setAppealRoute(input: $input) { __typename } }"
)
REMOVE_ROUTE = (
    "mutation($input: RemoveAppealRouteInput!) { removeAppealRoute(input: $input) { __typename } }"
)
RULES = """
query($category: String, $first: Int, $after: String) {
  appealDispatchRules(categoryCode: $category, first: $first, after: $after) {
    edges { cursor node { version category { code } region { code } department { code } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
HISTORY = """
query($first: Int, $after: String) {
  appealDispatchHistory(first: $first, after: $after) {
    nodes { version at action subject before after actorName actorDepartment { code } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


async def _edit(running: RunningApp, token: str, document: str, **values: Any) -> None:
    data = (await running.gql(document, {"input": values}, token=token)).data
    assert next(iter(data.values()))["__typename"] == "AppealRouteChange", data


async def test_the_centre_reads_the_table_and_its_versions(seeded: RunningApp) -> None:
    centre = await staff_token(seeded, CENTRE)
    await _edit(
        seeded, centre, SET_ROUTE, categoryCode="0404", regionCode="510104", departmentCode=WATER
    )
    await _edit(
        seeded, centre, SET_ROUTE, categoryCode="0404", regionCode="510104", departmentCode=URBAN
    )
    await _edit(
        seeded, centre, SET_ROUTE, categoryCode="0404", regionCode="510105", departmentCode=WATER
    )
    await _edit(seeded, centre, REMOVE_ROUTE, categoryCode="0404", regionCode="510105")

    rules = await seeded.gql.data(RULES, {"category": "04"}, token=centre)
    history = await seeded.gql.data(HISTORY, {"first": 3}, token=centre)
    rest = await seeded.gql.data(
        HISTORY,
        {"first": 3, "after": history["appealDispatchHistory"]["pageInfo"]["endCursor"]},
        token=centre,
    )

    nodes = [edge["node"] for edge in rules["appealDispatchRules"]["edges"]]
    mine = [n for n in nodes if n["category"]["code"] == "0404"]
    assert [(n["region"]["code"], n["department"]["code"]) for n in mine] == [("510104", URBAN)]
    assert nodes[0] == mine[0]  # the row changed last comes first
    assert {n["category"]["code"][:2] for n in nodes} == {"04"}  # the group's leaves only
    versions = history["appealDispatchHistory"]["nodes"]
    assert [(v["action"], v["subject"]) for v in versions] == [
        ("ROUTE_REMOVED", "0404@510105"),
        ("ROUTE_SET", "0404@510105"),
        ("ROUTE_SET", "0404@510104"),
    ]
    assert versions[0]["before"] == {"departmentCode": WATER}
    assert versions[0]["after"] is None
    assert versions[2]["before"] == {"departmentCode": WATER}
    assert versions[2]["after"] == {"departmentCode": URBAN}
    assert [v["version"] for v in versions] == sorted(
        (v["version"] for v in versions), reverse=True
    )
    assert {v["actorDepartment"]["code"] for v in versions} == {CENTRE}
    assert all(v["actorName"] and v["at"] for v in versions)
    older = rest["appealDispatchHistory"]["nodes"]
    assert [(v["subject"], v["before"]) for v in older[:1]] == [("0404@510104", None)]
    assert older[0]["version"] < versions[-1]["version"]


async def test_a_page_costs_the_same_statements_whatever_its_size(seeded: RunningApp) -> None:
    centre = await admin_token(seeded)
    for region in ("510104", "510105", "510106", "510107"):
        await _edit(
            seeded, centre, SET_ROUTE, categoryCode="0404", regionCode=region, departmentCode=WATER
        )
    # The edits changed the catalogue version: the next read reloads the reference tables.
    await seeded.gql.data(RULES, {"first": 1}, token=centre)

    with count_statements() as few_rules:
        small = await seeded.gql.data(RULES, {"first": 2}, token=centre)
    with count_statements() as many_rules:
        large = await seeded.gql.data(RULES, {"first": 20}, token=centre)
    with count_statements() as few_versions:
        await seeded.gql.data(HISTORY, {"first": 1}, token=centre)
    with count_statements() as many_versions:
        versions = await seeded.gql.data(HISTORY, {"first": 4}, token=centre)

    assert len(small["appealDispatchRules"]["edges"]) == 2
    assert len(large["appealDispatchRules"]["edges"]) == 20
    assert len(versions["appealDispatchHistory"]["nodes"]) == 4
    assert many_rules.count == few_rules.count, many_rules.texts
    assert many_versions.count == few_versions.count, many_versions.texts


async def test_bounds_and_refusals(seeded: RunningApp, wechat: Any) -> None:
    centre = await staff_token(seeded, CENTRE)
    urban = await staff_token(seeded, URBAN)
    program = await resident(seeded, wechat, "a")

    too_many = await seeded.gql(RULES, {"first": 51}, token=centre)
    unknown = await seeded.gql(RULES, {"category": "99"}, token=centre)
    department = await seeded.gql(HISTORY, {}, token=urban)
    by_resident = await seeded.gql(HISTORY, {}, token=program.token)

    assert too_many.errors[0]["extensions"]["field"] == "first"
    assert unknown.errors[0]["extensions"]["field"] == "categoryCode"
    assert department.errors[0]["extensions"]["code"] == "FORBIDDEN"
    assert by_resident.errors[0]["extensions"]["code"] == "FORBIDDEN"
