"""startTvSignIn, confirmTvSignIn, exchangeTvSignIn: a TV signs in with a code the resident
confirms on the phone, and its session reads but never submits."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.applications.conftest import HYGIENE, submit
from tests.conftest import RunningApp
from tests.delegation.conftest import GRANT, call, person, until

START = (
    "mutation($input: StartTvSignInInput!) { startTvSignIn(input: $input) { __typename "
    "... on TvSignIn { userCode deviceCode expiresAt interval } "
    "... on StartTvSignInError { code message field } } }"
)
CONFIRM = (
    "mutation($input: ConfirmTvSignInInput!) { confirmTvSignIn(input: $input) { __typename "
    "... on TvSignInConfirmed { confirmedAt deviceName } "
    "... on ConfirmTvSignInError { code message field } } }"
)
EXCHANGE = (
    "mutation($input: ExchangeTvSignInInput!) { exchangeTvSignIn(input: $input) { __typename "
    "... on Session { token account { phoneMasked } } "
    "... on ExchangeTvSignInError { code message field retryAfterSeconds } } }"
)
SUBMIT = (
    "mutation($input: SubmitApplicationInput!) { submitApplication(input: $input) { "
    "__typename ... on SubmitApplicationError { code } } }"
)
READS = (
    "{ services(first: 3) { nodes { code } } serviceCentres(first: 2) { nodes { name } } "
    "myApplications { nodes { number } } }"
)


async def signed_in_tv(running: RunningApp, resident_token: str) -> tuple[str, dict[str, Any]]:
    started = await call(running, START, {"deviceName": "客厅电视"}, None)
    confirmed = await call(running, CONFIRM, {"userCode": started["userCode"]}, resident_token)
    assert confirmed["deviceName"] == "客厅电视", confirmed
    session = await call(running, EXCHANGE, {"deviceCode": started["deviceCode"]}, None)
    assert session["__typename"] == "Session", session
    return str(session["token"]), started


async def test_the_tv_reads_the_catalogue_and_the_residents_own_applications(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    resident = await person(seeded, wechat, "grandma")
    own = await submit(seeded, resident.program)
    assert own["__typename"] == "Application", own

    token, _ = await signed_in_tv(seeded, resident.token)
    answer = await seeded.gql(READS, token=token)

    assert not answer.errors, answer.errors
    assert answer.data["services"]["nodes"]
    assert answer.data["serviceCentres"]["nodes"]
    assert [a["number"] for a in answer.data["myApplications"]["nodes"]] == [own["number"]]
    application = await seeded.gql(
        "query($id: ID!) { application(id: $id) { number } }", {"id": own["id"]}, token=token
    )
    assert application.data["application"]["number"] == own["number"]


async def test_the_tv_shows_no_wallet_document_and_no_inbox(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    resident = await person(seeded, wechat, "grandma")
    own = await submit(seeded, resident.program)
    token, _ = await signed_in_tv(seeded, resident.token)

    mine = await seeded.gql("{ myApplications { nodes { number } } }", token=token)
    wallet = await seeded.gql("{ myDocuments { edges { node { id } } } }", token=token)
    inbox = await seeded.gql("{ notifications { edges { node { id } } } }", token=token)

    assert [a["number"] for a in mine.data["myApplications"]["nodes"]] == [own["number"]]
    assert wallet.errors[0]["extensions"]["code"] == "FORBIDDEN"
    assert inbox.errors[0]["extensions"]["code"] == "FORBIDDEN"
    # The same resident's phone reads both.
    phone = await seeded.gql(
        "{ myDocuments { edges { node { id } } } notifications { edges { node { id } } } }",
        token=resident.token,
    )
    assert not phone.errors, phone.errors


async def test_the_tv_session_is_refused_submissions_and_changes(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    resident = await person(seeded, wechat, "grandma")
    agent = await person(seeded, wechat, "son")
    token, _ = await signed_in_tv(seeded, resident.token)

    submitted = await call(
        seeded,
        SUBMIT,
        {
            "serviceCode": HYGIENE[0],
            "regionCode": HYGIENE[1],
            "documentIds": [],
            "channel": "TV_HALL",
        },
        token,
    )
    delegated = await call(
        seeded,
        GRANT,
        {"agentPhone": agent.phone, "serviceCodes": [HYGIENE[0]], "validUntil": until()},
        token,
    )
    another_tv = await call(seeded, CONFIRM, {"userCode": "ABCD-EFGH"}, token)

    assert submitted["code"] == "FORBIDDEN"
    assert delegated["code"] == "FORBIDDEN"
    assert another_tv["code"] == "FORBIDDEN"  # a TV never signs in another TV


async def test_the_tv_waits_until_the_resident_confirms_and_exchanges_once(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    resident = await person(seeded, wechat, "grandma")
    started = await call(seeded, START, {}, None)
    device = {"deviceCode": started["deviceCode"]}

    pending = await call(seeded, EXCHANGE, device, None)
    confirmed = await call(seeded, CONFIRM, {"userCode": started["userCode"]}, resident.token)
    twice = await call(seeded, CONFIRM, {"userCode": started["userCode"]}, resident.token)
    first, second = await asyncio.gather(
        call(seeded, EXCHANGE, device, None), call(seeded, EXCHANGE, device, None)
    )

    assert (pending["code"], pending["retryAfterSeconds"]) == ("AUTHORIZATION_PENDING", 5)
    assert confirmed["deviceName"] == "电视"
    assert twice["code"] == "ALREADY_CONFIRMED"
    assert sorted(r["__typename"] for r in (first, second)) == [
        "ExchangeTvSignInError",
        "Session",
    ]
    refused = first if first["__typename"] != "Session" else second
    assert refused["code"] == "INVALID_CODE"


async def test_bad_input_and_callers(seeded: RunningApp, wechat: httpx.AsyncClient) -> None:
    resident = await person(seeded, wechat, "grandma")

    long_name = await call(seeded, START, {"deviceName": "电" * 33}, None)
    unknown = await call(seeded, CONFIRM, {"userCode": "ABCD-EFGH"}, resident.token)
    malformed = await call(seeded, CONFIRM, {"userCode": "abc"}, resident.token)
    anonymous = await call(seeded, CONFIRM, {"userCode": "ABCD-EFGH"}, None)
    no_device = await call(seeded, EXCHANGE, {"deviceCode": "x" * 200}, None)
    unknown_device = await call(seeded, EXCHANGE, {"deviceCode": "never-issued"}, None)

    assert (long_name["code"], long_name["field"]) == ("INVALID_INPUT", "deviceName")
    assert (unknown["code"], unknown["field"]) == ("INVALID_CODE", "userCode")
    assert (malformed["code"], malformed["field"]) == ("INVALID_CODE", "userCode")
    assert anonymous["code"] == "UNAUTHENTICATED"
    assert (no_device["code"], no_device["field"]) == ("INVALID_CODE", "deviceCode")
    assert unknown_device["code"] == "INVALID_CODE"
