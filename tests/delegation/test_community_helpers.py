"""registerCommunityHelper, addHelperClient, removeHelperClient, and a helper acting for the
residents on their register (and only for them, only while they are on it)."""

from __future__ import annotations

import httpx

from storage.models.accounts import Account
from tests.applications.conftest import HYGIENE
from tests.conftest import RunningApp
from tests.delegation.conftest import (
    ADD_CLIENT,
    GRANT,
    REGISTER_HELPER,
    REMOVE_CLIENT,
    call,
    community,
    helper,
    jinjiang_officer,
    officer_elsewhere,
    person,
    submit_as_agent,
    until,
)
from tests.documents.conftest import count_rows

MY_HELPERS = "{ myHelpers { id name communityName } }"


async def test_a_resident_on_the_register_delegates_to_the_helper_who_acts_at_once(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    officer = await jinjiang_officer(seeded)
    found = await helper(seeded, wechat)
    elder = await person(seeded, wechat, "elder")

    added = await call(seeded, ADD_CLIENT, {"helperId": found.id, "phone": elder.phone}, officer)
    helpers = await seeded.gql(MY_HELPERS, token=elder.token)
    granted = await call(
        seeded,
        GRANT,
        {"helperId": found.id, "serviceCodes": [HYGIENE[0]], "validUntil": until()},
        elder.token,
    )

    assert added["__typename"] == "HelperClient", added
    assert added["resident"]["phoneMasked"].endswith(elder.phone[-4:])
    assert [h["id"] for h in helpers.data["myHelpers"]] == [found.id]
    assert helpers.data["myHelpers"][0]["communityName"] == (await community()).name
    assert granted["__typename"] == "Delegation", granted
    assert (granted["status"], granted["agentKind"], granted["inForce"]) == (
        "ACTIVE",
        "COMMUNITY_HELPER",
        True,
    )
    submitted = await submit_as_agent(seeded, found.program, granted["id"])
    assert submitted["__typename"] == "Application", submitted

    removed = await call(
        seeded, REMOVE_CLIENT, {"helperId": found.id, "clientId": added["id"]}, officer
    )
    again = await submit_as_agent(seeded, found.program, granted["id"])

    assert removed["removedAt"]
    assert again["code"] == "DELEGATION_NOT_IN_FORCE"
    assert (await seeded.gql(MY_HELPERS, token=elder.token)).data["myHelpers"] == []
    assert await count_rows("application") == 1


async def test_a_resident_off_the_register_cannot_delegate_to_the_helper(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    found = await helper(seeded, wechat)
    stranger = await person(seeded, wechat, "stranger")

    refused = await call(
        seeded,
        GRANT,
        {"helperId": found.id, "serviceCodes": [HYGIENE[0]], "validUntil": until()},
        stranger.token,
    )

    assert (refused["code"], refused["field"]) == ("NOT_ON_REGISTER", "helperId")
    assert await count_rows("delegation") == 0


async def test_registering_helpers_is_for_officers_of_the_communitys_region(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    officer = await jinjiang_officer(seeded)
    resident = await person(seeded, wechat, "resident")
    staff = await Account.filter(username__startswith="officer-").order_by("username").first()
    assert staff is not None
    code = (await community()).code
    values = {"communityCode": code, "username": staff.username}

    elsewhere = await call(seeded, REGISTER_HELPER, values, await officer_elsewhere(seeded))
    by_resident = await call(seeded, REGISTER_HELPER, values, resident.token)
    anonymous = await call(seeded, REGISTER_HELPER, values, None)
    not_a_community = await call(
        seeded, REGISTER_HELPER, {**values, "communityCode": "510104"}, officer
    )
    no_such_staff = await call(seeded, REGISTER_HELPER, {**values, "username": "nobody"}, officer)

    assert elsewhere["code"] == "FORBIDDEN"
    assert by_resident["code"] == "FORBIDDEN"
    assert anonymous["code"] == "UNAUTHENTICATED"
    assert (not_a_community["code"], not_a_community["field"]) == (
        "NOT_A_COMMUNITY",
        "communityCode",
    )
    assert (no_such_staff["code"], no_such_staff["field"]) == ("NOT_STAFF", "username")
    assert await count_rows("community_helper") == 0

    first = await call(seeded, REGISTER_HELPER, values, officer)
    twice = await call(seeded, REGISTER_HELPER, values, officer)

    assert first["__typename"] == "CommunityHelper"
    assert twice["code"] == "ALREADY_REGISTERED"
    assert await count_rows("community_helper") == 1


async def test_the_register_is_kept_by_the_communitys_officers_with_checked_input(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    officer = await jinjiang_officer(seeded)
    found = await helper(seeded, wechat)
    elder = await person(seeded, wechat, "elder")
    values = {"helperId": found.id, "phone": elder.phone}

    elsewhere = await call(seeded, ADD_CLIENT, values, await officer_elsewhere(seeded))
    by_resident = await call(seeded, ADD_CLIENT, values, elder.token)
    bad_phone = await call(seeded, ADD_CLIENT, {**values, "phone": "12"}, officer)
    nobody = await call(seeded, ADD_CLIENT, {**values, "phone": "13912345678"}, officer)
    no_helper = await call(seeded, ADD_CLIENT, {**values, "helperId": "nonsense"}, officer)

    assert elsewhere["code"] == "NOT_FOUND"  # another district never learns of the helper
    assert by_resident["code"] == "FORBIDDEN"
    assert (bad_phone["code"], bad_phone["field"]) == ("INVALID_PHONE", "phone")
    assert (nobody["code"], nobody["field"]) == ("AGENT_NOT_FOUND", "phone")
    assert (no_helper["code"], no_helper["field"]) == ("NOT_FOUND", "helperId")
    assert await count_rows("helper_client") == 0

    added = await call(seeded, ADD_CLIENT, values, officer)
    twice = await call(seeded, ADD_CLIENT, values, officer)
    wrong_client = await call(
        seeded, REMOVE_CLIENT, {"helperId": found.id, "clientId": found.id}, officer
    )

    assert added["__typename"] == "HelperClient"
    assert twice["code"] == "ALREADY_REGISTERED"
    assert wrong_client["code"] == "NOT_FOUND"
    assert await count_rows("helper_client") == 1
