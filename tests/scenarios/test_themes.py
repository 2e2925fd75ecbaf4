"""themes and theme: life events and business stages with their items, services and
scenarios; services(filter: {themeCode})."""

from __future__ import annotations

from storage.models.scenarios import Theme, ThemeItem
from tests.conftest import RunningApp
from tests.scenarios.conftest import staff_token
from tests.sql import count_statements

THEMES = """
query($audience: Audience) {
  themes(audience: $audience) {
    code name audience description
    items { basicCode name }
    services(regionCode: "510104") { code region { code } }
    scenarios { code name }
  }
}
"""


async def test_both_life_cycles(seeded: RunningApp) -> None:
    people = (await seeded.gql.data(THEMES, {"audience": "PERSON"}))["themes"]
    organisations = (await seeded.gql.data(THEMES, {"audience": "ORGANISATION"}))["themes"]

    assert [t["name"] for t in people] == [
        "出生",
        "教育",
        "就业",
        "生活",
        "置业",
        "出行",
        "就医",
        "救助",
        "养老",
        "身后",
    ]
    assert [t["name"] for t in organisations] == [
        "准入准营",
        "招聘用工",
        "纳税缴费",
        "经营发展",
        "工程建设",
        "注销退出",
    ]


async def test_a_theme_lists_its_items_services_and_scenarios(seeded: RunningApp) -> None:
    found = await seeded.gql.data(
        '{ theme(code: "BIRTH") { name items { name } scenarios { code } '
        'services(regionCode: "510105") { name region { code } } } '
        'unknown: theme(code: "HOLIDAYS") { name } }'
    )

    birth = found["theme"]
    assert [i["name"] for i in birth["items"]] == [
        "生育登记",
        "出生医学证明签发",
        "出生登记",
        "城乡居民基本医疗保险参保登记",
        "社会保障卡申领",
    ]
    assert {s["code"] for s in birth["scenarios"]} == {"newborn", "marriage"}
    regions = {s["name"]: s["region"]["code"] for s in birth["services"]}
    assert regions["出生登记"] == "510105"  # the district's own
    assert regions["社会保障卡申领"] == "510100"  # the city's serves the district
    assert found["unknown"] is None


async def test_services_by_theme(seeded: RunningApp) -> None:
    data = await seeded.gql.data(
        '{ services(first: 50, filter: {themeCode: "AFTER_DEATH"}) { totalCount nodes { name } } '
        'none: services(filter: {themeCode: "HOLIDAYS"}) { totalCount } }'
    )

    assert {n["name"] for n in data["services"]["nodes"]} == {
        "居民死亡医学证明（推断）书签发",
        "死亡人员户口注销",
        "丧葬补助金、抚恤金申领",
        "城乡居民基本养老保险注销登记",
    }
    assert data["services"]["totalCount"] == 4
    assert data["none"]["totalCount"] == 0


async def test_the_theme_list_costs_the_same_with_more_items(seeded: RunningApp) -> None:
    # Signed in: anonymous answers come from the response cache, which costs nothing.
    token = await staff_token(seeded, "demo-admin")
    await seeded.gql.data(THEMES, token=token)  # the session is cached from then on
    with count_statements() as before:
        await seeded.gql.data(THEMES, token=token)
    education = await Theme.get(code="EDUCATION")
    await ThemeItem.bulk_create(
        [
            ThemeItem(theme_id=education.id, basic_code=code, position=n)
            for n, code in enumerate(["51002000010000", "51002000030000", "51000700030000"])
        ]
    )
    with count_statements() as after:
        await seeded.gql.data(THEMES, token=token)

    assert before.count == after.count
