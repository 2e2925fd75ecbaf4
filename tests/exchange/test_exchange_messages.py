"""exchangeMessages and exchangeCallbacks: admins only, filtered, paged, and a constant number
of SQL statements however long the page."""

from __future__ import annotations

from typing import Any

import httpx

from tests.applications.conftest import HYGIENE, implementation, officers
from tests.conftest import RunningApp
from tests.exchange.conftest import (
    MESSAGES,
    SYSTEM_SECRET,
    Sandbox,
    accepted_application,
    admin_token,
    callback_body,
    completed_application,
    deliver,
    post_callback,
    register_system,
    sign_callback,
)
from tests.sql import count_statements

CALLBACKS = """
query($first: Int, $after: String) {
  exchangeCallbacks(first: $first, after: $after) {
    edges { node { id messageId kind applicationId receivedAt systemKeyId departmentCode } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


async def test_admins_follow_each_application_to_the_province(
    seeded: RunningApp, wechat: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    submitted, _, _ = await completed_application(seeded, wechat, "a")
    await deliver(seeded)
    token = await admin_token(seeded)

    found = await seeded.gql.data(
        MESSAGES, {"filter": {"applicationId": submitted["id"], "status": "DELIVERED"}}, token=token
    )

    nodes = [e["node"] for e in found["exchangeMessages"]["edges"]]
    assert [n["kind"] for n in nodes] == [
        "RATE",
        "FINISH",
        "DECIDE",
        "HANDLE",
        "HANDLE",
        "ACCEPT",
        "SUBMIT",
    ]  # newest first
    assert [n["sequence"] for n in nodes] == [7, 6, 5, 4, 3, 2, 1]
    assert {n["status"] for n in nodes} == {"DELIVERED"}
    assert {n["applicationId"] for n in nodes} == {submitted["id"]}
    assert {n["applicationNumber"] for n in nodes} == {submitted["number"]}
    assert all(n["lastError"] is None and n["nextAttemptAt"] is None for n in nodes)
    held = {r["messageId"]: r["ackId"] for r in sandbox.received()}
    assert {n["messageId"]: n["receipt"]["ackId"] for n in nodes} == held
    node = await seeded.gql.data(
        "query($id: ID!) { node(id: $id) { ... on ExchangeMessage { kind status } } }",
        {"id": nodes[0]["id"]},
        token=token,
    )
    assert node["node"] == {"kind": "RATE", "status": "DELIVERED"}


async def test_pages_cover_every_message_once(
    seeded: RunningApp, wechat: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    await completed_application(seeded, wechat, "a")
    token = await admin_token(seeded)
    seen: list[str] = []
    after = None
    while True:
        page = await seeded.gql.data(MESSAGES, {"first": 3, "after": after}, token=token)
        seen += [e["node"]["messageId"] for e in page["exchangeMessages"]["edges"]]
        if not page["exchangeMessages"]["pageInfo"]["hasNextPage"]:
            break
        after = page["exchangeMessages"]["pageInfo"]["endCursor"]

    pending = await seeded.gql.data(MESSAGES, {"filter": {"status": "PENDING"}}, token=token)

    assert len(seen) == len(set(seen)) == 7
    assert len(pending["exchangeMessages"]["edges"]) == 7  # nothing sent yet


async def test_only_admins_may_look(
    seeded: RunningApp, wechat: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    _, _, program = await accepted_application(seeded, wechat)
    officer = (await officers(seeded, await implementation(HYGIENE)))["lead"]
    admin = await admin_token(seeded)
    message = await seeded.gql.data(MESSAGES, {}, token=admin)
    message_id = message["exchangeMessages"]["edges"][0]["node"]["id"]

    answers = [
        await seeded.gql(MESSAGES, {}, token=officer),
        await seeded.gql(MESSAGES, {}, token=program.token),
        await seeded.gql(MESSAGES, {}),
        await seeded.gql(CALLBACKS, {}, token=officer),
    ]
    peek = await seeded.gql.data(
        "query($id: ID!) { node(id: $id) { id } }", {"id": message_id}, token=officer
    )

    for answer in answers:
        assert answer.body["data"] is None
    # Signed in but no ADMIN: FORBIDDEN; not signed in: UNAUTHENTICATED.
    assert [a.error_codes for a in answers] == [
        ["FORBIDDEN"],
        ["FORBIDDEN"],
        ["UNAUTHENTICATED"],
        ["FORBIDDEN"],
    ]
    assert peek["node"] is None


async def test_bad_arguments_are_typed_errors(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    token = await admin_token(seeded)

    wrong_type = await seeded.gql(
        MESSAGES, {"filter": {"applicationId": "RG9jdW1lbnQ6MQ=="}}, token=token
    )
    too_many = await seeded.gql(MESSAGES, {"first": 51}, token=token)
    bad_cursor = await seeded.gql(MESSAGES, {"after": "bm90LWEtY3Vyc29y"}, token=token)

    assert wrong_type.errors[0]["extensions"] == {
        "code": "BAD_USER_INPUT",
        "field": "filter.applicationId",
    }
    assert too_many.errors[0]["extensions"]["field"] == "first"
    assert bad_cursor.errors[0]["extensions"]["field"] == "after"


async def _statements(seeded: RunningApp, query: str, token: str) -> int:
    await seeded.gql(query, {"first": 1}, token=token)  # the session is cached after its first use
    with count_statements() as counted:
        result = await seeded.gql(query, {"first": 50}, token=token)
    assert result.errors == [], result.errors
    return counted.count


async def test_lists_cost_the_same_statements_for_one_row_or_many(
    seeded: RunningApp, wechat: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    item = await implementation(HYGIENE)
    await register_system(seeded, item.department_id, "lead-system")
    token = await admin_token(seeded)

    async def grow(user: str) -> None:
        submitted, _, _ = await accepted_application(seeded, wechat, user)
        body = callback_body(submitted["number"], "PROGRESS", note="审查中")
        response = await post_callback(
            seeded, body, sign_callback("lead-system", SYSTEM_SECRET, body)
        )
        assert response.status_code == 200, response.text
        await deliver(seeded)

    await grow("a")
    few: list[Any] = [
        await _statements(seeded, MESSAGES, token),
        await _statements(seeded, CALLBACKS, token),
    ]
    for user in ("b", "c", "d"):
        await grow(user)
    many = [
        await _statements(seeded, MESSAGES, token),
        await _statements(seeded, CALLBACKS, token),
    ]
    listed = await seeded.gql.data(CALLBACKS, {}, token=token)

    assert few == many, (few, many)
    nodes = [e["node"] for e in listed["exchangeCallbacks"]["edges"]]
    assert len(nodes) == 4
    assert {(n["kind"], n["systemKeyId"]) for n in nodes} == {("PROGRESS", "lead-system")}
