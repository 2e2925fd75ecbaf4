"""Themes, scenarios and plans: every growing list takes `first`, whose default keeps the demo's
answers whole and whose bounds are refused past the cap."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from api.seed import seed_demo_providers
from resolvers.scenarios.definitions import MAX_THEMES
from resolvers.scenarios.service import MAX_THEME_ITEMS
from storage.models.scenarios import Theme, ThemeItem
from tests.conftest import RunningApp
from tests.scenarios.conftest import RESTAURANT, resident, upload

EVERYTHING = """{
  themes {
    code
    items { basicCode }
    services(regionCode: "510104") { code }
    scenarios { code }
    providerServices { name }
  }
}"""
WIDEST = """{
  themes(first: 50) {
    code
    items(first: 200) { basicCode }
    services(regionCode: "510104", first: 200) { code }
    scenarios(first: 50) { code }
    providerServices(first: 20) { name }
  }
}"""
BIRTH = """query($first: Int) {
  theme(code: "BIRTH") {
    items(first: $first) { basicCode }
    services(regionCode: "510105", first: $first) { code }
    scenarios(first: $first) { code }
  }
}"""
LIVING = """query($first: Int) {
  theme(code: "LIVING") { providerServices(first: $first) { name } }
}"""
SCENARIO_THEMES = """query($first: Int) {
  scenario(code: "restaurant") { themes(first: $first) { code } }
}"""
PLAN_SERVICES = """query($answers: [ScenarioAnswerInput!], $first: Int) {
  scenarioPlan(code: "restaurant", answers: $answers, regionCode: "510104") {
    services(first: $first) { code }
  }
}"""
WALLET = """query($answers: [ScenarioAnswerInput!], $first: Int) {
  scenarioPlan(code: "restaurant", answers: $answers, regionCode: "510104") {
    materials { documentKind walletDocuments(first: $first) { id } }
  }
}"""


async def test_the_defaults_keep_the_demos_themes_whole(seeded: RunningApp) -> None:
    await seed_demo_providers(seeded.settings.model_copy(update={"demo_data": True}))

    defaults = (await seeded.gql.data(EVERYTHING))["themes"]
    widest = (await seeded.gql.data(WIDEST))["themes"]

    assert defaults == widest
    assert len(defaults) == await Theme.all().count() == 16
    items = {t["code"]: len(t["items"]) for t in defaults}
    for theme in await Theme.all():
        assert items[theme.code] == await ThemeItem.filter(theme_id=theme.id).count()
    living = next(t for t in defaults if t["code"] == "LIVING")
    assert len(living["providerServices"]) == 4  # the demo's utilities and housekeeping


async def test_first_takes_the_first_items_services_and_scenarios(seeded: RunningApp) -> None:
    everything = (await seeded.gql.data(BIRTH))["theme"]

    two = (await seeded.gql.data(BIRTH, {"first": 2}))["theme"]
    one = (await seeded.gql.data(BIRTH, {"first": 1}))["theme"]

    assert len(everything["items"]) == 5
    assert two["items"] == everything["items"][:2]
    # `first` counts the theme's items; each of the first two has a service in 青羊区.
    assert two["services"] == everything["services"][:2]
    assert len(everything["scenarios"]) == 2
    assert one["scenarios"] == everything["scenarios"][:1]


async def test_first_takes_the_first_themes(seeded: RunningApp) -> None:
    everything = await seeded.gql.data("{ themes { code } }")

    three = await seeded.gql.data("{ themes(first: 3) { code } }")

    assert three["themes"] == everything["themes"][:3]


async def test_a_scenarios_themes_and_a_plans_services_take_first(seeded: RunningApp) -> None:
    themes = (await seeded.gql.data(SCENARIO_THEMES))["scenario"]["themes"]
    one_theme = (await seeded.gql.data(SCENARIO_THEMES, {"first": 1}))["scenario"]["themes"]
    services = (await seeded.gql.data(PLAN_SERVICES, {"answers": RESTAURANT}))["scenarioPlan"]
    one_service = (await seeded.gql.data(PLAN_SERVICES, {"answers": RESTAURANT, "first": 1}))[
        "scenarioPlan"
    ]

    assert len(themes) == 2
    assert one_theme == themes[:1]
    assert len(services["services"]) == 3
    assert one_service["services"] == services["services"][:1]


async def test_a_themes_social_services_take_first(seeded: RunningApp) -> None:
    await seed_demo_providers(seeded.settings.model_copy(update={"demo_data": True}))

    everything = (await seeded.gql.data(LIVING))["theme"]["providerServices"]
    two = (await seeded.gql.data(LIVING, {"first": 2}))["theme"]["providerServices"]
    refused = await seeded.gql(LIVING, {"first": 21})

    assert len(everything) == 4
    assert two == everything[:2]
    assert refused.error_codes == ["BAD_USER_INPUT"]


async def test_the_newest_wallet_documents_come_first_and_first_limits_them(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "wallet-owner")
    ids = [await upload(program, "ID_CARD_FRONT") for _ in range(3)]

    def id_cards(found: dict[str, Any]) -> list[str]:
        materials = found["scenarioPlan"]["materials"]
        card = next(m for m in materials if m["documentKind"] == "ID_CARD_FRONT")
        return [d["id"] for d in card["walletDocuments"]]

    everything = await seeded.gql.data(WALLET, {"answers": RESTAURANT}, token=program.token)
    two = await seeded.gql.data(WALLET, {"answers": RESTAURANT, "first": 2}, token=program.token)

    assert id_cards(everything) == ids[::-1]
    assert id_cards(two) == ids[::-1][:2]


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("query($first: Int) { themes(first: $first) { code } }", {"first": 0}),
        ("query($first: Int) { themes(first: $first) { code } }", {"first": 51}),
        (BIRTH, {"first": MAX_THEME_ITEMS + 1}),
        (BIRTH, {"first": -3}),
        (SCENARIO_THEMES, {"first": MAX_THEMES + 1}),
        (PLAN_SERVICES, {"answers": RESTAURANT, "first": 21}),
        (WALLET, {"answers": RESTAURANT, "first": 51}),
    ],
)
async def test_a_first_out_of_range_is_refused(
    seeded: RunningApp, query: str, variables: dict[str, Any]
) -> None:
    response = await seeded.gql(query, variables)

    assert "BAD_USER_INPUT" in response.error_codes
    assert all(e["extensions"].get("field") == "first" for e in response.errors)
