"""One search card per item (the implementation nearest the caller), counts on the centre and
terminal lists, and terminals found by an item's basic code."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from resolvers.accounts import sessions
from storage.models.accounts import Account
from storage.models.catalogue import Department, Region
from tests.catalogue.editing import staff_token
from tests.conftest import RunningApp
from tests.identity import id_number
from tests.sql import count_statements

SEARCH = """
query($filter: ServiceFilter, $first: Int, $after: String) {
  services(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { code baseCode name region { code } }
  }
}
"""
RESIDENCE_PERMIT = "51002000030000"  # 居住证申领: one implementation in each of 22 districts


async def search(app: RunningApp, token: str | None = None, **variables: object) -> dict:
    return (await app.gql.data(SEARCH, variables, token=token))["services"]


async def verified_resident(app: RunningApp, region: str) -> str:
    keyring = app.resources.keyring
    account = await Account.create(
        roles=["RESIDENT"],
        identity_verified_at=datetime.now(UTC),
        id_number_sealed=keyring.seal(id_number(region), context="account.id_number"),
    )
    return (await sessions.issue(app.resources, account, method="SMS")).token


async def officer_in(app: RunningApp, region_code: str) -> str:
    region = await Region.get(code=region_code)
    department = await Department.filter(region_id=region.id).order_by("code").first()
    assert department is not None
    return await staff_token(app, f"officer-{department.code.lower()}")


async def test_initials_list_the_residence_permit_once_not_22_times(catalogue: RunningApp) -> None:
    page = await search(catalogue, filter={"keyword": "jzz"}, first=50)

    permits = [n for n in page["nodes"] if n["baseCode"] == RESIDENCE_PERMIT]
    assert [n["name"] for n in permits] == ["居住证申领"]
    assert page["nodes"][0]["baseCode"] == RESIDENCE_PERMIT
    assert page["totalCount"] == len(page["nodes"])


@pytest.mark.parametrize("keyword", ["jzz", "身份证", "户口", "营业执照", "yyzz", "开店"])
async def test_every_search_shows_each_item_once(catalogue: RunningApp, keyword: str) -> None:
    page = await search(catalogue, filter={"keyword": keyword}, first=50)

    bases = [n["baseCode"] for n in page["nodes"]]
    assert bases
    assert len(bases) == len(set(bases)) == page["totalCount"]


async def test_the_card_is_the_callers_own_districts(catalogue: RunningApp) -> None:
    officer = await officer_in(catalogue, "510107")
    resident = await verified_resident(catalogue, "510105")

    for_officer = await search(catalogue, officer, filter={"keyword": "jzz"}, first=5)
    for_resident = await search(catalogue, resident, filter={"keyword": "jzz"}, first=5)

    assert for_officer["nodes"][0]["baseCode"] == RESIDENCE_PERMIT
    assert for_officer["nodes"][0]["region"]["code"] == "510107"
    assert for_resident["nodes"][0]["baseCode"] == RESIDENCE_PERMIT
    assert for_resident["nodes"][0]["region"]["code"] == "510105"


async def test_a_resident_from_elsewhere_sees_the_same_cards_as_anyone(
    catalogue: RunningApp,
) -> None:
    outsider = await verified_resident(catalogue, "110101")  # 北京市东城区

    mine = await search(catalogue, outsider, filter={"keyword": "sfz"}, first=50)
    anyone = await search(catalogue, filter={"keyword": "sfz"}, first=50)

    assert mine == anyone


async def test_a_named_region_picks_its_own_implementation_over_the_callers(
    catalogue: RunningApp,
) -> None:
    officer = await officer_in(catalogue, "510107")

    page = await search(
        catalogue, officer, filter={"keyword": "jzz", "regionCode": "510108"}, first=5
    )

    assert page["nodes"][0]["region"]["code"] == "510108"


async def test_an_item_only_the_city_implements_is_the_citys_card(catalogue: RunningApp) -> None:
    officer = await officer_in(catalogue, "510107")

    page = await search(catalogue, officer, filter={"keyword": "社保卡"}, first=5)

    assert page["nodes"][0]["name"] == "社会保障卡申领"
    assert page["nodes"][0]["region"]["code"] == "510100"


async def test_cards_page_without_gaps_or_repeats(catalogue: RunningApp) -> None:
    whole = await search(catalogue, filter={"keyword": "户口"}, first=50)
    seen: list[str] = []
    after = None
    while True:
        page = await search(catalogue, filter={"keyword": "户口"}, first=1, after=after)
        seen.extend(n["code"] for n in page["nodes"])
        assert page["totalCount"] == whole["totalCount"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert seen == [n["code"] for n in whole["nodes"]]
    assert len(seen) >= 2


CENTRES = """
query($filter: ServiceCentreFilter, $first: Int, $after: String) {
  serviceCentres(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { name }
  }
}
"""


async def walk(app: RunningApp, query: str, field: str, filter: dict) -> tuple[list[str], set]:
    names: list[str] = []
    totals = set()
    after = None
    while True:
        page = (await app.gql.data(query, {"filter": filter, "first": 7, "after": after}))[field]
        names.extend(n["name"] for n in page["nodes"])
        totals.add(page["totalCount"])
        if not page["pageInfo"]["hasNextPage"]:
            return names, totals
        after = page["pageInfo"]["endCursor"]


@pytest.mark.parametrize(
    "filter",
    [
        {},
        {"regionCode": "510104"},
        {"near": {"lat": 30.657, "lng": 104.083}},
        {"serviceCode": "51002000060000"},
        {"serviceCode": "51000700030000", "regionCode": "510104"},
    ],
)
async def test_centres_say_how_many_match_on_every_page(
    catalogue: RunningApp, filter: dict
) -> None:
    names, totals = await walk(catalogue, CENTRES, "serviceCentres", filter)

    assert totals == {len(names)}
    assert len(names) == len(set(names)) > 0


async def test_no_centre_matches_an_unknown_code(catalogue: RunningApp) -> None:
    page = (await catalogue.gql.data(CENTRES, {"filter": {"serviceCode": "99999999999999"}}))[
        "serviceCentres"
    ]

    assert page == {
        "totalCount": 0,
        "pageInfo": {"hasNextPage": False, "endCursor": None},
        "nodes": [],
    }


async def test_a_basic_code_names_the_callers_districts_centres(catalogue: RunningApp) -> None:
    officer = await officer_in(catalogue, "510105")
    marriage = "51000700030000"  # handled by each district's civil affairs bureau

    mine = (
        await catalogue.gql.data(
            CENTRES, {"filter": {"serviceCode": marriage}, "first": 50}, token=officer
        )
    )["serviceCentres"]

    assert [n["name"] for n in mine["nodes"]] == ["青羊区政务服务中心"]


TERMINALS = """
query($filter: TerminalFilter, $first: Int, $after: String) {
  terminals(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { name code serviceCodes community { code } }
  }
}
"""


async def test_terminals_say_how_many_match_on_every_page(catalogue: RunningApp) -> None:
    every, totals = await walk(catalogue, TERMINALS, "terminals", {})
    near, near_totals = await walk(
        catalogue, TERMINALS, "terminals", {"near": {"lat": 30.657, "lng": 104.083}}
    )

    assert totals == near_totals == {len(every)}
    assert sorted(near) == sorted(every)


async def test_a_basic_code_finds_the_terminals_offering_the_item(catalogue: RunningApp) -> None:
    some = (await catalogue.gql.data(TERMINALS, {"first": 1}))["terminals"]["nodes"][0]
    implementation = some["serviceCodes"][0]
    basic = implementation.split("-")[0]

    by_code = (
        await catalogue.gql.data(
            TERMINALS, {"filter": {"serviceCode": implementation}, "first": 50}
        )
    )["terminals"]
    by_basic = (
        await catalogue.gql.data(TERMINALS, {"filter": {"serviceCode": basic}, "first": 50})
    )["terminals"]
    in_community = (
        await catalogue.gql.data(
            TERMINALS,
            {"filter": {"serviceCode": basic, "communityCode": some["community"]["code"]}},
        )
    )["terminals"]

    assert by_basic["nodes"]
    assert {t["code"] for t in by_code["nodes"]} <= {t["code"] for t in by_basic["nodes"]}
    assert all(
        any(code.startswith(f"{basic}-") for code in t["serviceCodes"]) for t in by_basic["nodes"]
    )
    assert by_basic["totalCount"] == len(by_basic["nodes"])
    assert some["code"] in {t["code"] for t in in_community["nodes"]}
    assert in_community["totalCount"] == len(in_community["nodes"])


@pytest.mark.parametrize("code", ["99999999999999", "NOPE", "x" * 200, "a\u0000b"])
async def test_terminals_for_an_unknown_code_are_none(catalogue: RunningApp, code: str) -> None:
    page = (await catalogue.gql.data(TERMINALS, {"filter": {"serviceCode": code}}))["terminals"]

    assert page["nodes"] == []
    assert page["totalCount"] == 0


async def test_counting_costs_one_statement_at_any_page_size(catalogue: RunningApp) -> None:
    query = """query($first: Int, $count: Boolean!) {
      terminals(first: $first) { totalCount @include(if: $count) nodes { code serviceCodes } }
      serviceCentres(first: $first) { totalCount @include(if: $count) nodes { name } }
    }"""

    async def statements(first: int, count: bool) -> int:
        with count_statements() as counted:
            response = await catalogue.gql(query, {"first": first, "count": count})
        assert not response.errors
        return counted.count

    small, large = await statements(2, True), await statements(40, True)
    without = await statements(40, False)

    assert small == large
    assert large == without + 2  # one count query per list


async def test_browsing_without_a_region_lists_each_item_once_by_name(
    catalogue: RunningApp,
) -> None:
    first = await search(catalogue, filter={}, first=50)
    cards = await _all(catalogue, None, {})

    bases = [n["baseCode"] for n in cards]
    assert bases.count(RESIDENCE_PERMIT) == 1
    assert len(bases) == len(set(bases)) == first["totalCount"]
    # Anyone whose district is unknown gets the city's implementation where there is one.
    [social_security] = [n for n in cards if n["name"] == "社会保障卡申领"]
    assert social_security["region"]["code"] == "510100"


async def test_browsing_picks_the_callers_district_and_a_region_keeps_every_implementation(
    catalogue: RunningApp,
) -> None:
    resident = await verified_resident(catalogue, "510105")
    cards = await _all(catalogue, resident, {})
    in_district = await _all(catalogue, None, {"regionCode": "510105"})

    [permit] = [n for n in cards if n["baseCode"] == RESIDENCE_PERMIT]
    assert permit["region"]["code"] == "510105"
    # With a region: the region's own implementations and those above it, as before.
    regions = {n["region"]["code"] for n in in_district}
    assert regions <= {"510105", "510100"}
    assert "510100" in regions


async def test_browsing_costs_the_same_statements_for_a_small_and_a_large_page(
    catalogue: RunningApp,
) -> None:
    # Page sizes no other test asks for: anonymous answers are cached whole.
    with count_statements() as small:
        few = await search(catalogue, filter={}, first=3)
    with count_statements() as large:
        many = await search(catalogue, filter={}, first=47)

    assert small.count > 0
    assert len(few["nodes"]) == 3
    assert len(many["nodes"]) > 2
    assert large.count == small.count, large.texts


async def _all(app: RunningApp, token: str | None, wanted: dict) -> list[dict]:
    nodes: list[dict] = []
    after = None
    while True:
        page = await search(app, token, filter=wanted, first=50, after=after)
        nodes.extend(page["nodes"])
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]
