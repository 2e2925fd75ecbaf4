"""upsertBaseItem: the province's standard items, ADMIN only."""

from __future__ import annotations

from storage.models.catalogue import Implementation, ItemKind
from tests.catalogue.editing import officer_of, staff_token
from tests.conftest import RunningApp

UPSERT = """
mutation($input: UpsertBaseItemInput!) {
  upsertBaseItem(input: $input) {
    __typename
    ... on BaseItem { basicCode name kind itemType audiences keywords steps { name } }
    ... on UpsertBaseItemError { errorCode: code field violations { field rule } }
  }
}
"""


def item(**overrides: object) -> dict:
    values: dict = {
        "basicCode": "51002000990000",
        "name": "老年人优待证办理",
        "kind": "PUBLIC_SERVICE",
        "itemType": "PUBLIC_SERVICE",
        "legalBasis": "《中华人民共和国老年人权益保障法》",
        "steps": [{"name": "申请"}, {"name": "办结"}],
        "audiences": ["PERSON"],
        "keywords": ["老年证", "优待证"],
    }
    values.update(overrides)
    return values


async def test_admins_create_and_update_base_items(seeded: RunningApp) -> None:
    admin = await staff_token(seeded, "demo-admin")

    created = (await seeded.gql.data(UPSERT, {"input": item()}, token=admin))["upsertBaseItem"]
    updated = (
        await seeded.gql.data(UPSERT, {"input": item(name="老年人优待证申领")}, token=admin)
    )["upsertBaseItem"]

    assert created["__typename"] == "BaseItem"
    assert created["audiences"] == ["PERSON"]
    assert updated["name"] == "老年人优待证申领"


async def test_a_kind_change_reaches_every_implementation(seeded: RunningApp) -> None:
    admin = await staff_token(seeded, "demo-admin")
    id_card = item(
        basicCode="51002000010000",
        name="居民身份证换领",
        kind="ADMINISTRATIVE_POWER",
        itemType="OTHER_POWER",
        legalBasis="《中华人民共和国居民身份证法》第五条、第十一条",
        steps=[{"name": "申请"}, {"name": "受理"}, {"name": "制证"}, {"name": "领证"}],
    )

    result = (await seeded.gql.data(UPSERT, {"input": id_card}, token=admin))["upsertBaseItem"]

    assert result["kind"] == "ADMINISTRATIVE_POWER"
    kinds = set(
        await Implementation.filter(code__startswith="51002000010000").values_list(
            "kind", flat=True
        )
    )
    assert {str(k) for k in kinds} == {ItemKind.ADMINISTRATIVE_POWER.value}


async def test_officers_may_not_change_the_standard(seeded: RunningApp) -> None:
    token, _ = await officer_of(seeded, "锦江区行政审批局")

    result = (await seeded.gql.data(UPSERT, {"input": item()}, token=token))["upsertBaseItem"]

    assert result["errorCode"] == "FORBIDDEN"


async def test_inconsistent_kinds_and_empty_fields_are_listed(seeded: RunningApp) -> None:
    admin = await staff_token(seeded, "demo-admin")

    result = (
        await seeded.gql.data(
            UPSERT,
            {
                "input": item(
                    basicCode="bad code",
                    itemType="LICENSING",
                    steps=[],
                    audiences=[],
                    legalBasis=" ",
                )
            },
            token=admin,
        )
    )["upsertBaseItem"]

    assert result["errorCode"] == "INVALID_INPUT"
    assert {v["field"] for v in result["violations"]} == {
        "basicCode",
        "itemType",
        "steps",
        "audiences",
        "legalBasis",
    }
