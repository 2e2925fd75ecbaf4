"""The `services` list: filters, search, paging, bad input and its SQL cost."""

from __future__ import annotations

import pytest

from tests.conftest import RunningApp
from tests.sql import count_statements

PAGE = """
query($filter: ServiceFilter, $first: Int, $after: String) {
  services(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { code name kind itemType visits onlineDepth scope region { code } department { code } }
  }
}
"""


async def services(app: RunningApp, **variables: object) -> dict:
    return (await app.gql.data(PAGE, variables))["services"]


async def test_pages_walk_the_whole_catalogue_once(catalogue: RunningApp) -> None:
    seen: list[str] = []
    after = None
    while True:
        page = await services(catalogue, first=50, after=after)
        seen.extend(node["code"] for node in page["nodes"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    # One card per base item (34), not each of the 240 implementations: without a region
    # the list is of items, as a search is.
    assert len(seen) == len(set(seen)) == page["totalCount"] == 34


async def test_pages_of_a_region_walk_every_implementation_a_resident_there_may_use(
    catalogue: RunningApp,
) -> None:
    seen: list[str] = []
    regions: set[str] = set()
    after = None
    while True:
        page = await services(catalogue, filter={"regionCode": "510104"}, first=7, after=after)
        seen.extend(node["code"] for node in page["nodes"])
        regions.update(node["region"]["code"] for node in page["nodes"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert len(seen) == len(set(seen)) == page["totalCount"]
    assert regions == {"510104", "510100"}  # the district's own and the city's


async def test_the_default_page_is_20(catalogue: RunningApp) -> None:
    page = await services(catalogue)

    assert len(page["nodes"]) == 20
    assert page["pageInfo"]["hasNextPage"] is True


@pytest.mark.parametrize("first", [0, -1, 51, 10_000])
async def test_page_sizes_outside_1_to_50_are_refused(catalogue: RunningApp, first: int) -> None:
    response = await catalogue.gql(PAGE, {"first": first})

    assert response.error_codes == ["BAD_USER_INPUT"]
    assert response.errors[0]["extensions"]["field"] == "first"


@pytest.mark.parametrize("cursor", ["garbage", "WzEsImsiLCJ4Il0", "a" * 2000, "WzIsImsiLFtdXQ"])
async def test_forged_cursors_are_refused(catalogue: RunningApp, cursor: str) -> None:
    response = await catalogue.gql(PAGE, {"after": cursor})

    assert response.error_codes == ["BAD_USER_INPUT"]


async def test_a_keyset_cursor_is_not_accepted_by_a_ranked_list(catalogue: RunningApp) -> None:
    page = await services(catalogue, filter={"regionCode": "510104"}, first=1)

    response = await catalogue.gql(
        PAGE, {"filter": {"keyword": "身份证"}, "after": page["pageInfo"]["endCursor"]}
    )

    assert response.error_codes == ["BAD_USER_INPUT"]


@pytest.mark.parametrize("keyword", ["身份证", "shenfenzheng", "sfz", "SFZ", "ｓｆｚ"])
async def test_words_pinyin_and_initials_find_the_same_items(
    catalogue: RunningApp, keyword: str
) -> None:
    page = await services(catalogue, filter={"keyword": keyword}, first=50)

    names = {node["name"] for node in page["nodes"]}
    assert names == {"居民身份证换领", "居民身份证补领"}
    # 22 police offices implement each of the two items; a search shows each item once.
    assert len(page["nodes"]) == page["totalCount"] == 2


async def test_search_ranks_the_name_above_keywords_and_departments(catalogue: RunningApp) -> None:
    page = await services(catalogue, filter={"keyword": "营业执照"}, first=50)

    names = [node["name"] for node in page["nodes"]]
    # 企业设立 and 个体工商户设立 produce a licence (keyword); 食品经营许可 merely needs one.
    assert names[0] in {"企业设立登记", "个体工商户设立登记"}
    assert "食品经营许可" not in names


async def test_search_combines_with_filters(catalogue: RunningApp) -> None:
    page = await services(catalogue, filter={"keyword": "sfz", "regionCode": "510107"}, first=50)

    assert {node["region"]["code"] for node in page["nodes"]} == {"510107"}
    assert page["totalCount"] == 2


async def test_a_region_sees_its_own_and_the_citys_services(catalogue: RunningApp) -> None:
    page = await services(catalogue, filter={"regionCode": "510104"}, first=50)

    regions = {node["region"]["code"] for node in page["nodes"]}
    assert regions == {"510104", "510100"}


@pytest.mark.parametrize(
    ("filter", "check"),
    [
        ({"kind": "PUBLIC_SERVICE"}, lambda n: n["kind"] == "PUBLIC_SERVICE"),
        ({"itemType": "LICENSING"}, lambda n: n["itemType"] == "LICENSING"),
        ({"maxVisits": 0}, lambda n: n["visits"] == 0),
        ({"onlineDepth": 4}, lambda n: n["onlineDepth"] == 4),
        ({"citywide": True}, lambda n: n["scope"] != "REGION"),
        ({"citywide": False}, lambda n: n["scope"] == "REGION"),
    ],
)
async def test_filters(catalogue: RunningApp, filter: dict, check) -> None:
    page = await services(catalogue, filter=filter, first=50)

    assert page["nodes"]
    assert all(check(node) for node in page["nodes"])


async def test_audiences_split_persons_and_organisations(catalogue: RunningApp) -> None:
    persons = await services(
        catalogue, filter={"audience": "PERSON", "keyword": "开公司"}, first=50
    )
    organisations = await services(
        catalogue, filter={"audience": "ORGANISATION", "keyword": "开公司"}
    )

    assert persons["totalCount"] == 0
    assert organisations["nodes"][0]["name"] == "企业设立登记"


async def test_a_department_filter(catalogue: RunningApp) -> None:
    first = (await services(catalogue, first=1))["nodes"][0]

    page = await services(
        catalogue, filter={"departmentCode": first["department"]["code"]}, first=50
    )

    assert page["nodes"]
    assert {n["department"]["code"] for n in page["nodes"]} == {first["department"]["code"]}


@pytest.mark.parametrize(
    "filter",
    [
        {"regionCode": "999999"},
        {"regionCode": "x" * 200},
        {"departmentCode": "91510100MA0000000X"},
        {"departmentCode": "short"},
        {"keyword": "没有这样的事项名称"},
        {"keyword": "bad\u0000byte"},
    ],
)
async def test_unknown_codes_and_unmatched_words_give_an_empty_page(
    catalogue: RunningApp, filter: dict
) -> None:
    page = await services(catalogue, filter=filter)

    assert page["nodes"] == []
    assert page["totalCount"] == 0


async def test_an_overlong_keyword_is_a_clear_error(catalogue: RunningApp) -> None:
    response = await catalogue.gql(PAGE, {"filter": {"keyword": "身" * 5000}})

    assert response.error_codes == ["BAD_USER_INPUT"]


@pytest.mark.usefixtures("reference_current")
async def test_a_page_with_guides_costs_the_same_statements_at_any_size(
    catalogue: RunningApp,
) -> None:
    query = """query($first: Int) { services(first: $first) { nodes {
        code name audiences department { name region { name } } region { name parent { name } }
        materials { name necessity documentKind } } } }"""

    async def statements(first: int) -> int:
        with count_statements() as counted:
            response = await catalogue.gql(query, {"first": first})
        assert not response.errors
        assert len(response.data["services"]["nodes"]) == first
        return counted.count

    small, large = await statements(2), await statements(30)

    assert small == large
    assert large <= 8  # page + departments + regions + parents + materials + base items
