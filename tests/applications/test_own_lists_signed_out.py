"""A signed-out caller asking for lists of their own things is refused in those fields only:
`me` is null, each own list answers empty with an UNAUTHENTICATED error at its own path, and
the other root fields keep their data."""

from __future__ import annotations

import httpx
from graphql import build_schema

from schema.root import sdl
from tests.applications.conftest import submit, verified_resident
from tests.conftest import RunningApp

# The query from the report, as the app sends it before sign-in.
REPORTED = """
{
  me { id }
  myApplications { edges { node { id number status } } pageInfo { hasNextPage endCursor } }
}
"""

EVERY_OWN_LIST = """
{
  me { id }
  myApplications(first: 5) { edges { node { id } } nodes { id } }
  myDocuments(first: 5) { edges { node { id } } }
  myAppeals(first: 5) { edges { node { id } } }
  notifications(first: 5) { edges { node { id } } pageInfo { hasNextPage } }
  myConsents(first: 5) { nodes { id } }
  myProviders { id }
  services(first: 1) { edges { node { code } } }
}
"""
OWN_LISTS = [
    "myApplications",
    "myDocuments",
    "myAppeals",
    "notifications",
    "myConsents",
    "myProviders",
]


async def test_the_reported_query_keeps_its_data(running: RunningApp) -> None:
    response = await running.gql(REPORTED)

    assert response.status == 200
    assert response.body["data"] == {
        "me": None,
        "myApplications": {"edges": [], "pageInfo": {"hasNextPage": False, "endCursor": None}},
    }
    assert [(e["path"], e["extensions"]["code"]) for e in response.errors] == [
        (["myApplications"], "UNAUTHENTICATED")
    ]
    assert response.errors[0]["message"]
    assert response.errors[0]["locations"]


async def test_each_own_list_carries_its_own_refusal(seeded: RunningApp) -> None:
    response = await seeded.gql(EVERY_OWN_LIST)

    data = response.body["data"]
    assert data["me"] is None
    assert data["services"]["edges"], "a public field keeps its data"
    assert data["myProviders"] == []
    assert data["myConsents"] == {"nodes": []}
    for name in OWN_LISTS[:4]:
        assert data[name]["edges"] == [], name
    assert sorted((e["path"][0], e["extensions"]["code"]) for e in response.errors) == sorted(
        (name, "UNAUTHENTICATED") for name in OWN_LISTS
    )


async def test_signed_in_the_same_query_answers_without_errors(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await verified_resident(seeded, wechat, "own")
    submitted = await submit(seeded, program)

    data = await seeded.gql.data(REPORTED, token=program.token)

    assert data["me"] is not None
    assert [e["node"]["id"] for e in data["myApplications"]["edges"]] == [submitted["id"]]


def test_the_lists_stay_non_null_in_the_contract() -> None:
    # The refusal moved into the field's answer, not the type: a nullable list would be a
    # dangerous change for every generated client.
    query = build_schema(sdl()).query_type
    assert query is not None
    for name in OWN_LISTS:
        assert str(query.fields[name].type).endswith("!"), name
