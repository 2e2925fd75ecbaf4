"""The catalogue's lists are bounded: regions, departments and divergences take `first`
(defaults that keep the demo's answers whole), and guides cannot grow past their bounds."""

from __future__ import annotations

from typing import Any

import pytest

from resolvers.catalogue.drafts import MAX_COOPERATING_DEPARTMENTS, MAX_FAQS
from resolvers.catalogue.errors import MAX_VIOLATIONS
from schema.catalogue.types import DEPARTMENTS, DIVERGENCES, REGIONS
from storage.models.catalogue import Department, Implementation, PublicationStatus, Region
from tests.catalogue.editing import UPSERT, guide_input, officer_of, staff_token, unaliased
from tests.conftest import RunningApp

CHILDREN = """query($code: String!, $first: Int) {
  regions(parentCode: $code, first: $first) { code }
}"""
BELOW = """query($code: String!, $first: Int) {
  region(code: $code) { children(first: $first) { code } }
}"""
DEPARTMENT_LIST = "query($first: Int) { departments(first: $first) { code } }"
DIVERGENCE_LIST = """query($first: Int) {
  catalogueDivergences(regionCode: "510104", first: $first) { service { code } fields }
}"""
BASE_ITEM = """mutation($input: UpsertBaseItemInput!) { upsertBaseItem(input: $input) {
  __typename ... on UpsertBaseItemError { errorCode: code field violations { field rule } }
} }"""


async def test_the_defaults_keep_every_region_and_department_of_the_demo(
    seeded: RunningApp,
) -> None:
    counties = await Region.filter(parent__code="510100", retired=False).order_by("code")
    streets = await Region.filter(parent__code="510104", retired=False).order_by("code")

    found = await seeded.gql.data(
        '{ regions { code } city: regions(parentCode: "510100") { code } '
        'jinjiang: region(code: "510104") { children { code } } departments { code } }'
    )

    assert len(counties) == 22 < REGIONS.default  # 3 retired codes are left out
    assert [r["code"] for r in found["regions"]] == ["510100"]
    assert [r["code"] for r in found["city"]] == [r.code for r in counties]
    assert [r["code"] for r in found["jinjiang"]["children"]] == [r.code for r in streets]
    assert len(found["departments"]) == await Department.all().count() == 84
    assert DEPARTMENTS.default >= 84


async def test_first_takes_the_first_regions_and_departments(seeded: RunningApp) -> None:
    everything = await seeded.gql.data(
        '{ regions(parentCode: "510100") { code } departments { code } '
        'region(code: "510104") { children { code } } }'
    )

    regions = (await seeded.gql.data(CHILDREN, {"code": "510100", "first": 3}))["regions"]
    below = (await seeded.gql.data(BELOW, {"code": "510104", "first": 1}))["region"]
    departments = (await seeded.gql.data(DEPARTMENT_LIST, {"first": 5}))["departments"]

    assert regions == everything["regions"][:3]
    assert below["children"] == everything["region"]["children"][:1]
    assert departments == everything["departments"][:5]


@pytest.mark.parametrize("first", [0, -1, 201, 10_000])
async def test_departments_refuse_a_first_out_of_range(seeded: RunningApp, first: int) -> None:
    response = await seeded.gql(DEPARTMENT_LIST, {"first": first})

    assert response.error_codes == ["BAD_USER_INPUT"]
    assert response.errors[0]["extensions"]["field"] == "first"
    assert str(DEPARTMENTS.cap) in response.errors[0]["message"]


@pytest.mark.parametrize(("query", "first"), [(CHILDREN, 0), (CHILDREN, 101), (BELOW, 101)])
async def test_regions_refuse_a_first_out_of_range(
    seeded: RunningApp, query: str, first: int
) -> None:
    response = await seeded.gql(query, {"code": "510104", "first": first})

    assert response.error_codes == ["BAD_USER_INPUT"]
    assert response.errors[0]["extensions"]["field"] == "first"


async def test_a_null_first_is_the_default(seeded: RunningApp) -> None:
    explicit = await seeded.gql.data(DEPARTMENT_LIST, {"first": None})
    implicit = await seeded.gql.data("{ departments { code } }")

    assert explicit == implicit


async def test_divergences_take_first(seeded: RunningApp) -> None:
    renamed = await Implementation.filter(
        region__code="510104", status=PublicationStatus.PUBLISHED
    ).order_by("code")
    for row in renamed[:3]:
        await Implementation.filter(id=row.id).update(name=f"{row.name}（本区）")
    admin = await staff_token(seeded, "demo-admin")

    everything = (await seeded.gql.data(DIVERGENCE_LIST, {}, token=admin))["catalogueDivergences"]
    one = (await seeded.gql.data(DIVERGENCE_LIST, {"first": 1}, token=admin))[
        "catalogueDivergences"
    ]
    refused = await seeded.gql(DIVERGENCE_LIST, {"first": DIVERGENCES.cap + 1}, token=admin)

    assert [d["service"]["code"] for d in everything] == [r.code for r in renamed[:3]]
    assert one == everything[:1]
    assert refused.error_codes == ["BAD_USER_INPUT"]


def _base_item(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "basicCode": "51002000990000",
        "name": "老年人优待证办理",
        "kind": "PUBLIC_SERVICE",
        "itemType": "PUBLIC_SERVICE",
        "legalBasis": "《中华人民共和国老年人权益保障法》",
        "steps": [{"name": "申请"}, {"name": "办结"}],
        "audiences": ["PERSON"],
    }
    values.update(overrides)
    return values


async def test_a_base_item_names_each_audience_once(seeded: RunningApp) -> None:
    admin = await staff_token(seeded, "demo-admin")

    result = await seeded.gql.data(
        BASE_ITEM, {"input": _base_item(audiences=["PERSON"] * 8)}, token=admin
    )

    refused = unaliased(result["upsertBaseItem"])
    assert refused["__typename"] == "UpsertBaseItemError"
    assert refused["code"] == "INVALID_INPUT"
    assert {"field": "audiences", "rule": "INVALID_FIELD"} in refused["violations"]


async def test_a_guide_has_at_most_twenty_cooperating_departments(seeded: RunningApp) -> None:
    token, department = await officer_of(seeded, "锦江区行政审批局")
    others = (
        await Department.exclude(id=department.id)
        .order_by("code")
        .limit(MAX_COOPERATING_DEPARTMENTS + 1)
    )
    codes = [d.code for d in others]

    refused = unaliased(
        (
            await seeded.gql.data(
                UPSERT,
                {"input": guide_input(department.code, cooperatingDepartments=codes)},
                token=token,
            )
        )["upsertImplementation"]
    )
    accepted = (
        await seeded.gql.data(
            UPSERT,
            {"input": guide_input(department.code, cooperatingDepartments=codes[:-1])},
            token=token,
        )
    )["upsertImplementation"]

    assert refused["code"] == "INVALID_INPUT"
    assert refused["field"] == "cooperatingDepartments"
    assert accepted["__typename"] == "Service"


async def test_an_error_reports_at_most_a_hundred_violations(seeded: RunningApp) -> None:
    token, department = await officer_of(seeded, "锦江区行政审批局")
    blank = [{"question": " ", "answer": " "} for _ in range(MAX_FAQS * 4)]

    result = await seeded.gql(
        UPSERT, {"input": guide_input(department.code, faqs=blank)}, token=token
    )

    refused = unaliased(result.data["upsertImplementation"])
    assert refused["code"] == "INVALID_INPUT"
    assert len(refused["violations"]) == MAX_VIOLATIONS
    assert refused["violations"][0]["field"] == "faqs"  # the count comes first
