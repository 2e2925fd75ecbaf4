"""upsertTheme: ADMIN sets a theme and the items under it; unknown items write nothing."""

from __future__ import annotations

from storage.models.scenarios import Theme, ThemeItem
from tests.conftest import RunningApp
from tests.scenarios.conftest import officer_of, staff_token

UPSERT = """
mutation($input: UpsertThemeInput!) {
  upsertTheme(input: $input) {
    __typename
    ... on Theme { themeCode: code name items { basicCode } }
    ... on UpsertThemeError { code field violations { rule field } }
  }
}
"""


async def test_admin_lists_items_under_a_theme(seeded: RunningApp) -> None:
    admin = await staff_token(seeded, "demo-admin")
    values = {
        "code": "EDUCATION",
        "name": "教育",
        "audience": "PERSON",
        "itemCodes": ["51002000030000", "51002000010000"],
    }

    data = await seeded.gql.data(UPSERT, {"input": values}, token=admin)
    listed = await seeded.gql.data('{ services(filter: {themeCode: "EDUCATION"}) { totalCount } }')

    theme = data["upsertTheme"]
    assert [i["basicCode"] for i in theme["items"]] == ["51002000030000", "51002000010000"]
    # Both items, once each: without a region the list has one card per item (each has an
    # implementation in every district).
    assert listed["services"]["totalCount"] == 2


async def test_unknown_items_write_nothing(seeded: RunningApp) -> None:
    admin = await staff_token(seeded, "demo-admin")
    values = {
        "code": "EDUCATION",
        "name": "",
        "audience": "PERSON",
        "itemCodes": ["51002000030000", "51009999990000"],
    }

    data = await seeded.gql.data(UPSERT, {"input": values}, token=admin)

    error = data["upsertTheme"]
    assert error["code"] == "INVALID_INPUT"
    assert {(v["rule"], v["field"]) for v in error["violations"]} == {
        ("REQUIRED", "name"),
        ("UNKNOWN_BASE_ITEM", "itemCodes[1]"),
    }
    theme = await Theme.get(code="EDUCATION")
    assert theme.name == "教育"
    assert await ThemeItem.filter(theme_id=theme.id).count() == 0


async def test_only_admins(seeded: RunningApp) -> None:
    officer = await officer_of(seeded, "11510104452424621J")
    values = {"code": "EDUCATION", "name": "教育", "audience": "PERSON"}

    response = await seeded.gql(UPSERT, {"input": values}, token=officer)

    assert response.data["upsertTheme"]["code"] == "FORBIDDEN"
