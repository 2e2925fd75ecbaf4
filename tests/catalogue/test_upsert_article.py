"""upsertArticle: the information library, by the department that owns each article."""

from __future__ import annotations

from tests.catalogue.editing import officer_of, resident_token, staff_token
from tests.conftest import RunningApp

UPSERT = """
mutation($input: UpsertArticleInput!) {
  upsertArticle(input: $input) {
    __typename
    ... on Article { id kind title itemCodes }
    ... on UpsertArticleError { errorCode: code field }
  }
}
"""


async def test_a_department_publishes_and_corrects_its_own_notice(seeded: RunningApp) -> None:
    token, department = await officer_of(seeded, "成都市公安局")
    notice = {
        "kind": "NOTICE",
        "title": "春节期间户政窗口安排",
        "body": "除夕至初六暂停办理。",
        "departmentCode": department.code,
        "itemCodes": ["51002000010000"],
    }

    created = (await seeded.gql.data(UPSERT, {"input": notice}, token=token))["upsertArticle"]
    corrected = (
        await seeded.gql.data(
            UPSERT,
            {"input": {**notice, "id": created["id"], "body": "除夕至初三暂停办理。"}},
            token=token,
        )
    )["upsertArticle"]
    listed = await seeded.gql.data(
        '{ articles(filter: {kind: NOTICE, itemCode: "51002000010000"}) { nodes { title } } }'
    )

    assert created["itemCodes"] == ["51002000010000"]
    assert corrected["id"] == created["id"]
    assert "春节期间户政窗口安排" in [a["title"] for a in listed["articles"]["nodes"]]


async def test_articles_of_no_department_are_for_admins(seeded: RunningApp) -> None:
    token, _ = await officer_of(seeded, "成都市公安局")
    article = {"kind": "POLICY", "title": "平台政策", "body": "正文"}

    assert (await seeded.gql.data(UPSERT, {"input": article}, token=token))["upsertArticle"][
        "errorCode"
    ] == "FORBIDDEN"
    admin = await staff_token(seeded, "demo-admin")
    assert (await seeded.gql.data(UPSERT, {"input": article}, token=admin))["upsertArticle"][
        "__typename"
    ] == "Article"


async def test_residents_and_bad_ids(seeded: RunningApp) -> None:
    resident = await resident_token(seeded)
    article = {"kind": "FAQ", "title": "问", "body": "答"}

    assert (await seeded.gql.data(UPSERT, {"input": article}, token=resident))["upsertArticle"][
        "errorCode"
    ] == "FORBIDDEN"
    admin = await staff_token(seeded, "demo-admin")
    missing = (await seeded.gql.data(UPSERT, {"input": {**article, "id": "nope"}}, token=admin))[
        "upsertArticle"
    ]
    assert missing == {"__typename": "UpsertArticleError", "errorCode": "NOT_FOUND", "field": "id"}
