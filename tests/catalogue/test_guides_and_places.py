"""Read-only catalogue queries: a guide, statistics, articles, centres and terminals."""

from __future__ import annotations

import pytest

from resolvers.geo import distance_meters
from tests.conftest import RunningApp

GUIDE = """
query($code: String!, $region: String) {
  service(code: $code, regionCode: $region) {
    id code baseCode name kind itemType legalBasis conditions statutoryDays promisedDays
    handlingType fee feeBasis visits visitReason onlineDepth channels scope address hours
    phone complaintPhone resultName faqs { question answer } steps { name description }
    audiences status version department { code name } region { code name }
    materials { name necessity source documentKind issuingItemCode original copies }
  }
}
"""
ID_CARD = "51002000010000"


async def guide(app: RunningApp, code: str, region: str | None = None) -> dict | None:
    return (await app.gql.data(GUIDE, {"code": code, "region": region}))["service"]


async def test_a_guide_carries_every_field_residents_need(catalogue: RunningApp) -> None:
    found = await guide(catalogue, ID_CARD, "510104")

    assert found is not None
    assert found["name"] == "居民身份证换领"
    assert found["baseCode"] == ID_CARD
    assert found["code"].startswith(f"{ID_CARD}-510104000000-000-")
    assert found["region"]["code"] == "510104"
    assert found["department"]["name"] == "成都市公安局锦江区分局"
    assert found["fee"]
    assert found["feeBasis"]
    assert found["visits"] == 1
    assert found["visitReason"]
    assert found["promisedDays"] <= found["statutoryDays"]
    assert [m["documentKind"] for m in found["materials"] if m["necessity"] == "REQUIRED"] == [
        "ID_CARD_FRONT",
        "HOUSEHOLD_REGISTER",
        "PHOTO",
    ]
    register = found["materials"][1]
    assert register["source"] == "GOVERNMENT"
    assert register["issuingItemCode"]
    assert found["audiences"] == ["PERSON"]
    assert found["status"] == "PUBLISHED"
    assert found["faqs"]


async def test_the_implementation_code_finds_the_same_guide(catalogue: RunningApp) -> None:
    by_base = await guide(catalogue, ID_CARD, "510104")
    assert by_base is not None

    by_code = await guide(catalogue, by_base["code"])

    assert by_code == by_base


async def test_a_basic_code_falls_back_to_the_level_above(catalogue: RunningApp) -> None:
    social_security_card = "51002000060000"

    found = await guide(catalogue, social_security_card, "510107")

    assert found is not None
    assert found["region"]["code"] == "510100"  # a city-level item, handled citywide
    assert found["scope"] == "CITYWIDE"


@pytest.mark.parametrize(
    ("code", "region"),
    [("NOPE", None), (ID_CARD, "999999"), (ID_CARD, None), ("x" * 500, None), ("a\u0000b", None)],
)
async def test_unknown_codes_are_null(catalogue: RunningApp, code: str, region: str | None) -> None:
    assert await guide(catalogue, code, region) is None


async def test_the_citys_one_visit_share(catalogue: RunningApp) -> None:
    stats = (
        await catalogue.gql.data(
            "{ serviceStats { total atMostOneVisitShare zeroVisitShare fullyOnlineShare "
            "citywideCount meetsOneVisitTarget } }"
        )
    )["serviceStats"]

    assert stats["total"] == 240
    assert 0.8 <= stats["atMostOneVisitShare"] <= 1.0
    assert stats["meetsOneVisitTarget"] is True
    assert 0 < stats["zeroVisitShare"] <= stats["atMostOneVisitShare"]
    assert stats["citywideCount"] > 0


async def test_a_districts_stats_count_only_its_own_items(catalogue: RunningApp) -> None:
    stats = (await catalogue.gql.data('{ serviceStats(regionCode: "510104") { total } }'))[
        "serviceStats"
    ]
    unknown = (await catalogue.gql.data('{ serviceStats(regionCode: "999999") { total } }'))[
        "serviceStats"
    ]

    assert stats["total"] == 10  # five police, two civil affairs and three licensing items
    assert unknown is None


async def test_articles_by_kind_and_item(catalogue: RunningApp) -> None:
    laws = (await catalogue.gql.data("{ articles(filter: {kind: LAW}) { nodes { kind title } } }"))[
        "articles"
    ]
    about_id_cards = (
        await catalogue.gql.data(
            '{ articles(filter: {itemCode: "51002000010000"}) { nodes { title itemCodes } } }'
        )
    )["articles"]

    assert {a["kind"] for a in laws["nodes"]} == {"LAW"}
    assert len(laws["nodes"]) == 3
    assert {a["title"] for a in about_id_cards["nodes"]} == {
        "中华人民共和国居民身份证法",
        "关于居民身份证全市通办的公告",
    }


async def test_an_article_by_id_and_bad_ids(catalogue: RunningApp) -> None:
    first = (await catalogue.gql.data("{ articles(first: 1) { nodes { id title } } }"))["articles"][
        "nodes"
    ][0]
    query = "query($id: ID!) { article(id: $id) { title } }"

    assert (await catalogue.gql.data(query, {"id": first["id"]}))["article"]["title"] == first[
        "title"
    ]
    assert (await catalogue.gql.data(query, {"id": "not-an-id"}))["article"] is None


CENTRES = """
query($filter: ServiceCentreFilter, $first: Int, $after: String) {
  serviceCentres(filter: $filter, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { name level acceptsCitywide distanceMeters location { lat lng } region { code } }
  }
}
"""
SPRING_LANE = {"lat": 30.6570, "lng": 104.0830}  # near 春熙路, 锦江区


async def test_centres_nearest_first_with_true_distances(catalogue: RunningApp) -> None:
    page = (await catalogue.gql.data(CENTRES, {"filter": {"near": SPRING_LANE}, "first": 10}))[
        "serviceCentres"
    ]

    distances = [c["distanceMeters"] for c in page["nodes"]]
    assert distances == sorted(distances)
    first = page["nodes"][0]
    assert first["distanceMeters"] == pytest.approx(
        distance_meters(
            SPRING_LANE["lat"],
            SPRING_LANE["lng"],
            first["location"]["lat"],
            first["location"]["lng"],
        ),
        abs=0.1,
    )


async def test_centre_pages_by_distance_continue_where_they_stopped(catalogue: RunningApp) -> None:
    first = (await catalogue.gql.data(CENTRES, {"filter": {"near": SPRING_LANE}, "first": 5}))[
        "serviceCentres"
    ]
    rest = (
        await catalogue.gql.data(
            CENTRES,
            {"filter": {"near": SPRING_LANE}, "first": 5, "after": first["pageInfo"]["endCursor"]},
        )
    )["serviceCentres"]
    ten = (await catalogue.gql.data(CENTRES, {"filter": {"near": SPRING_LANE}, "first": 10}))[
        "serviceCentres"
    ]

    assert [c["name"] for c in first["nodes"] + rest["nodes"]] == [c["name"] for c in ten["nodes"]]


async def test_a_citywide_item_is_handled_at_every_citywide_centre(catalogue: RunningApp) -> None:
    everywhere = (
        await catalogue.gql.data(
            CENTRES, {"filter": {"serviceCode": "51002000060000"}, "first": 50}
        )
    )["serviceCentres"]["nodes"]
    local = (
        await catalogue.gql.data(
            CENTRES,
            {"filter": {"serviceCode": "51000700030000", "regionCode": "510104"}, "first": 50},
        )
    )["serviceCentres"]["nodes"]

    assert len(everywhere) >= 23  # the city centre and every county centre
    assert all(c["acceptsCitywide"] for c in everywhere if c["level"] in ("CITY", "COUNTY"))
    assert [c["name"] for c in local] == ["锦江区政务服务中心"]  # marriage: the district only


async def test_centres_within_a_region(catalogue: RunningApp) -> None:
    nodes = (await catalogue.gql.data(CENTRES, {"filter": {"regionCode": "510104"}, "first": 50}))[
        "serviceCentres"
    ]["nodes"]

    assert {c["level"] for c in nodes} == {"COUNTY", "STREET", "COMMUNITY"}
    assert all(c["region"]["code"].startswith("510104") for c in nodes)


@pytest.mark.parametrize("near", [{"lat": 91, "lng": 0}, {"lat": 0, "lng": 181}])
async def test_impossible_points_are_refused(catalogue: RunningApp, near: dict) -> None:
    response = await catalogue.gql(CENTRES, {"filter": {"near": near}})

    assert response.error_codes == ["BAD_USER_INPUT"]


TERMINALS = """
query($filter: TerminalFilter, $first: Int) {
  terminals(filter: $filter, first: $first) {
    nodes { code name placement status distanceMeters community { code level } serviceCodes }
  }
}
"""


async def test_terminals_nearest_first_and_by_community(catalogue: RunningApp) -> None:
    near = (await catalogue.gql.data(TERMINALS, {"filter": {"near": SPRING_LANE}, "first": 3}))[
        "terminals"
    ]["nodes"]
    community = near[0]["community"]["code"]
    here = (await catalogue.gql.data(TERMINALS, {"filter": {"communityCode": community}}))[
        "terminals"
    ]["nodes"]
    street = (
        await catalogue.gql.data(TERMINALS, {"filter": {"communityCode": community[:9] + "000"}})
    )["terminals"]["nodes"]

    assert [t["distanceMeters"] for t in near] == sorted(t["distanceMeters"] for t in near)
    assert [t["code"] for t in here] == [near[0]["code"]]
    assert street == []  # a street code is not a community


async def test_terminals_offering_a_service(catalogue: RunningApp) -> None:
    some = (await catalogue.gql.data(TERMINALS, {"first": 1}))["terminals"]["nodes"][0]
    code = some["serviceCodes"][0]

    offering = (
        await catalogue.gql.data(TERMINALS, {"filter": {"serviceCode": code}, "first": 50})
    )["terminals"]["nodes"]

    assert offering
    assert all(code in t["serviceCodes"] for t in offering)
