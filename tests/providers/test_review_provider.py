"""reviewProvider: staff approve (members get the PROVIDER role at once) or reject."""

from __future__ import annotations

import asyncio

import httpx

from storage.models.notifications import Notification
from storage.models.outbox import OutboxMessage
from tests.conftest import RunningApp
from tests.providers.conftest import REVIEW_PROVIDER, register, resident, staff_login

ME = "{ me { roles } }"


async def test_approval_gives_the_provider_role_to_the_signed_in_member_at_once(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "owner")
    registered = await register(seeded, program)
    before = await seeded.gql.data(ME, token=program.token)  # cached principal, no PROVIDER
    create = (
        'mutation { createApiKey(input: {name: "k", scopes: [SERVICES_READ]}) { __typename '
        "... on CreateApiKeyError { code } } }"
    )
    refused = await seeded.gql(create, token=program.token)
    admin = await staff_login(seeded)

    approved = await seeded.gql.data(
        REVIEW_PROVIDER,
        {"input": {"providerId": registered["id"], "decision": "APPROVE"}},
        token=admin,
    )
    after = await seeded.gql.data(ME, token=program.token)  # the same token
    allowed = await seeded.gql.data(create, token=program.token)

    assert "PROVIDER" not in before["me"]["roles"]
    assert refused.data["createApiKey"]["code"] == "PROVIDER_NOT_APPROVED"
    assert approved["reviewProvider"]["status"] == "APPROVED"
    assert sorted(after["me"]["roles"]) == ["PROVIDER", "RESIDENT"]
    assert allowed["createApiKey"]["__typename"] == "CreatedApiKey"
    message = await OutboxMessage.get(kind="notification.inbox", key=f"provider:{_id(registered)}")
    assert message.payload["title"] == "服务机构审核通过"


async def test_a_rejection_needs_a_reason_and_gives_no_role(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "owner")
    registered = await register(seeded, program)
    admin = await staff_login(seeded)

    without = await seeded.gql.data(
        REVIEW_PROVIDER,
        {"input": {"providerId": registered["id"], "decision": "REJECT"}},
        token=admin,
    )
    rejected = await seeded.gql.data(
        REVIEW_PROVIDER,
        {"input": {"providerId": registered["id"], "decision": "REJECT", "reason": "证照不全"}},
        token=admin,
    )
    me = await seeded.gql.data(ME, token=program.token)

    assert (without["reviewProvider"]["code"], without["reviewProvider"]["field"]) == (
        "REASON_REQUIRED",
        "reason",
    )
    assert rejected["reviewProvider"]["status"] == "REJECTED"
    assert rejected["reviewProvider"]["reviewReason"] == "证照不全"
    assert "PROVIDER" not in me["me"]["roles"]


async def test_only_reviewers_review_and_only_once(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "owner")
    registered = await register(seeded, program)
    admin = await staff_login(seeded)
    variables = {"input": {"providerId": registered["id"], "decision": "APPROVE"}}

    by_member = await seeded.gql(REVIEW_PROVIDER, variables, token=program.token)
    # Reviewing is the REVIEWER's (and ADMIN's), not every officer's.
    officer = await staff_login(seeded, "officer-11510100404435553d")
    by_officer = await seeded.gql.data(REVIEW_PROVIDER, variables, token=officer)
    both = await asyncio.gather(
        seeded.gql.data(REVIEW_PROVIDER, variables, token=admin),
        seeded.gql.data(REVIEW_PROVIDER, variables, token=admin),
    )
    unknown = await seeded.gql.data(
        REVIEW_PROVIDER,
        {"input": {"providerId": "UHJvdmlkZXI6bm9wZQ==", "decision": "APPROVE"}},
        token=admin,
    )

    assert by_member.data["reviewProvider"]["code"] == "FORBIDDEN"
    assert by_officer["reviewProvider"]["code"] == "FORBIDDEN"
    outcomes = sorted(r["reviewProvider"]["__typename"] for r in both)
    assert outcomes == ["Provider", "ReviewProviderError"]
    assert next(r["reviewProvider"]["code"] for r in both if "code" in r["reviewProvider"]) in (
        "INVALID_STATE",
        "CONFLICT",
    )
    assert unknown["reviewProvider"]["code"] == "NOT_FOUND"
    assert await OutboxMessage.filter(kind="notification.inbox").count() == 1


async def test_a_pending_provider_is_visible_to_its_members_and_staff_only(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "owner")
    stranger = await resident(seeded, wechat, "stranger")
    registered = await register(seeded, program)
    admin = await staff_login(seeded)
    query = (
        "query($id: ID!) { node(id: $id) { ... on Provider { name contactPhoneMasked "
        "members { owner } } } }"
    )

    as_stranger = await seeded.gql.data(query, {"id": registered["id"]}, token=stranger.token)
    as_anonymous = await seeded.gql.data(query, {"id": registered["id"]})
    as_staff = await seeded.gql.data(query, {"id": registered["id"]}, token=admin)
    queue = await seeded.gql.data(
        "{ providers(filter: {status: PENDING}) { nodes { id status } } }", token=admin
    )
    await seeded.gql.data(
        REVIEW_PROVIDER,
        {"input": {"providerId": registered["id"], "decision": "APPROVE"}},
        token=admin,
    )
    approved = await seeded.gql.data(query, {"id": registered["id"]}, token=stranger.token)

    assert as_stranger["node"] is None
    assert as_anonymous["node"] is None
    assert as_staff["node"]["contactPhoneMasked"] == "028****8888"
    assert queue["providers"]["nodes"] == [{"id": registered["id"], "status": "PENDING"}]
    # Approved: its name is public, its contact and members are not.
    assert approved["node"] == {
        "name": "成都示例家政服务有限公司",
        "contactPhoneMasked": None,
        "members": [],
    }
    assert await Notification.all().count() == 0  # delivered by the dispatcher, not inline


def _id(registered: dict[str, object]) -> str:
    from schema.ids import node_uuid

    found = node_uuid(registered["id"], "Provider")
    assert found is not None
    return str(found)
