"""grantDelegation, acceptDelegation, revokeDelegation: who may, what is checked, the trail
naming both sides; a rejected call stores nothing."""

from __future__ import annotations

from uuid import uuid4

import httpx
import pytest

from resolvers.ids import global_id
from tests.applications.conftest import FOOD, HYGIENE
from tests.conftest import RunningApp
from tests.delegation.conftest import (
    ACCEPT,
    GRANT,
    MY_DELEGATIONS,
    REVOKE,
    call,
    grant,
    jinjiang_officer,
    person,
    until,
)
from tests.documents.conftest import count_rows, signed_in


async def test_a_resident_grants_the_agent_accepts_and_both_see_it(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    principal = await person(seeded, wechat, "mother")
    agent = await person(seeded, wechat, "son")

    given = await grant(seeded, principal, agent, HYGIENE[0], FOOD[0])

    assert given["__typename"] == "Delegation", given
    assert given["status"] == "PENDING"
    assert given["inForce"] is False
    assert given["agentKind"] == "RESIDENT"
    assert given["serviceCodes"] == [HYGIENE[0], FOOD[0]]
    assert given["agent"]["phoneMasked"] == agent.phone[:3] + "****" + agent.phone[-4:]
    received = await seeded.gql(MY_DELEGATIONS, {"d": "RECEIVED"}, token=agent.token)
    assert [d["id"] for d in received.data["myDelegations"]["nodes"]] == [given["id"]]

    accepted = await call(seeded, ACCEPT, {"delegationId": given["id"]}, agent.token)

    assert accepted["status"] == "ACTIVE"
    assert accepted["inForce"] is True
    assert [(e["type"], e["byAgent"]) for e in accepted["events"]] == [
        ("GRANTED", False),
        ("ACCEPTED", True),
    ]
    for event in accepted["events"]:  # every step names both sides
        assert event["principal"]["phoneMasked"] == given["principal"]["phoneMasked"]
        assert event["agent"]["phoneMasked"] == given["agent"]["phoneMasked"]
    mine = await seeded.gql(MY_DELEGATIONS, {"d": "GIVEN"}, token=principal.token)
    assert mine.data["myDelegations"]["nodes"][0]["status"] == "ACTIVE"
    nothing = await seeded.gql(MY_DELEGATIONS, {"d": "GIVEN"}, token=agent.token)
    assert nothing.data["myDelegations"]["nodes"] == []


@pytest.mark.parametrize(
    ("values", "code", "field"),
    [
        ({"agentPhone": None}, "AGENT_REQUIRED", "agentPhone"),
        ({"helperId": global_id("CommunityHelper", uuid4())}, "AGENT_REQUIRED", "agentPhone"),
        ({"agentPhone": "12345"}, "INVALID_PHONE", "agentPhone"),
        ({"agentPhone": "13912345678"}, "AGENT_NOT_FOUND", "agentPhone"),
        ({"serviceCodes": []}, "INVALID_INPUT", "serviceCodes"),
        ({"serviceCodes": [HYGIENE[0], HYGIENE[0]]}, "INVALID_INPUT", "serviceCodes[1]"),
        ({"serviceCodes": [HYGIENE[0], "99999999999999"]}, "UNKNOWN_SERVICE", "serviceCodes[1]"),
        ({"serviceCodes": [" "]}, "INVALID_INPUT", "serviceCodes[0]"),
        ({"serviceCodes": [str(n) for n in range(21)]}, "TOO_MANY_SERVICES", "serviceCodes"),
        (
            {"validUntil": until(-1)},
            "INVALID_VALID_UNTIL",
            "validUntil",
        ),
        ({"validUntil": until(400)}, "INVALID_VALID_UNTIL", "validUntil"),
    ],
)
async def test_bad_input_is_named_and_stores_nothing(
    seeded: RunningApp, wechat: httpx.AsyncClient, values: dict, code: str, field: str
) -> None:
    principal = await person(seeded, wechat, "mother")
    agent = await person(seeded, wechat, "son")

    result = await grant(seeded, principal, agent, **values)

    assert result["__typename"] == "GrantDelegationError", result
    assert (result["code"], result["field"]) == (code, field)
    assert result["message"]
    assert await count_rows("delegation") == 0
    assert await count_rows("delegation_event") == 0


async def test_one_cannot_be_ones_own_agent(seeded: RunningApp, wechat: httpx.AsyncClient) -> None:
    principal = await person(seeded, wechat, "mother")

    result = await grant(seeded, principal, principal)

    assert (result["code"], result["field"]) == ("SELF_DELEGATION", "agentPhone")
    assert await count_rows("delegation") == 0


async def test_only_a_verified_resident_grants(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    agent = await person(seeded, wechat, "son")
    unverified = await signed_in(seeded, wechat, "stranger")
    values = {"agentPhone": agent.phone, "serviceCodes": [HYGIENE[0]], "validUntil": until()}

    anonymous = await call(seeded, GRANT, values, None)
    officer = await call(seeded, GRANT, values, await jinjiang_officer(seeded))
    not_verified = await call(seeded, GRANT, values, unverified.token)

    assert anonymous["code"] == "UNAUTHENTICATED"
    assert officer["code"] == "FORBIDDEN"
    assert not_verified["code"] == "IDENTITY_NOT_VERIFIED"
    assert await count_rows("delegation") == 0


async def test_only_the_agent_accepts_and_only_once(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    principal = await person(seeded, wechat, "mother")
    agent = await person(seeded, wechat, "son")
    stranger = await person(seeded, wechat, "stranger")
    given = await grant(seeded, principal, agent)
    target = {"delegationId": given["id"]}

    by_principal = await call(seeded, ACCEPT, target, principal.token)
    by_stranger = await call(seeded, ACCEPT, target, stranger.token)
    by_nobody = await call(seeded, ACCEPT, target, None)
    not_an_id = await call(seeded, ACCEPT, {"delegationId": "nonsense"}, agent.token)

    assert by_principal["code"] == "FORBIDDEN"
    assert (by_stranger["code"], by_stranger["field"]) == ("NOT_FOUND", "delegationId")
    assert by_nobody["code"] == "UNAUTHENTICATED"
    assert not_an_id["code"] == "NOT_FOUND"
    assert await count_rows("delegation_event") == 1  # GRANTED only

    first = await call(seeded, ACCEPT, target, agent.token)
    again = await call(seeded, ACCEPT, target, agent.token)

    assert first["status"] == "ACTIVE"
    assert again["code"] == "INVALID_STATE"


async def test_a_revoked_delegation_cannot_be_accepted(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    principal = await person(seeded, wechat, "mother")
    agent = await person(seeded, wechat, "son")
    given = await grant(seeded, principal, agent)
    target = {"delegationId": given["id"]}

    revoked = await call(seeded, REVOKE, target, principal.token)
    accepted = await call(seeded, ACCEPT, target, agent.token)

    assert revoked["status"] == "REVOKED"
    assert revoked["revokedAt"]
    assert accepted["code"] == "INVALID_STATE"


async def test_only_the_principal_revokes_and_revoking_twice_changes_nothing(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    principal = await person(seeded, wechat, "mother")
    agent = await person(seeded, wechat, "son")
    stranger = await person(seeded, wechat, "stranger")
    given = await grant(seeded, principal, agent)
    target = {"delegationId": given["id"]}

    by_agent = await call(seeded, REVOKE, target, agent.token)
    by_stranger = await call(seeded, REVOKE, target, stranger.token)
    by_officer = await call(seeded, REVOKE, target, await jinjiang_officer(seeded))

    assert by_agent["code"] == "FORBIDDEN"
    assert by_stranger["code"] == "NOT_FOUND"
    assert by_officer["code"] == "NOT_FOUND"

    first = await call(seeded, REVOKE, target, principal.token)
    again = await call(seeded, REVOKE, target, principal.token)

    assert first["status"] == again["status"] == "REVOKED"
    assert first["revokedAt"] == again["revokedAt"]
    assert [e["type"] for e in again["events"]] == ["GRANTED", "REVOKED"]
    assert [(e["byAgent"]) for e in again["events"]] == [False, False]


async def test_a_delegation_is_hidden_from_everyone_but_its_two_sides(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    principal = await person(seeded, wechat, "mother")
    agent = await person(seeded, wechat, "son")
    stranger = await person(seeded, wechat, "stranger")
    given = await grant(seeded, principal, agent)
    query = "query($id: ID!) { delegation(id: $id) { id status } }"

    for token, visible in [
        (principal.token, True),
        (agent.token, True),
        (stranger.token, False),
        (await jinjiang_officer(seeded), False),
        (None, False),
    ]:
        answer = await seeded.gql(query, {"id": given["id"]}, token=token)
        assert (answer.data["delegation"] is not None) is visible
