"""A resident signs in at a terminal with the terminal's own card read and face check; the
session sees only that resident's things and ends after the terminal's idle time."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from mock_wechat.client import MiniProgram
from storage.cache import Keys
from storage.models.catalogue import Region, RegionLevel
from storage.models.hall import CentreStaffRole
from tests.applications.conftest import submit, verified_resident
from tests.conftest import RunningApp
from tests.window.conftest import (
    JINJIANG_CENTRE,
    JINJIANG_POLICE,
    REGISTER,
    card_read,
    officer,
    public_key,
    register_reader,
    resident,
    works_at,
)

SIGN_IN = """
mutation($input: SignInAtTerminalInput!) { signInAtTerminal(input: $input) {
  __typename ... on Session { token refreshToken account { idNumberMasked roles } }
  ... on SignInAtTerminalError { code field } } }
"""
ME = "{ me { idNumberMasked } }"


async def _terminal(running: RunningApp, wechat: httpx.AsyncClient, serial: str) -> str:
    """A registered terminal, signed in as its device, with its reader registered."""
    admin = await running.gql.data(
        'mutation { loginStaff(input: {username: "demo-admin", password: '
        '"demo-password-for-tests"}) { ... on Session { token } } }'
    )
    token = admin["loginStaff"]["token"]
    community = await Region.filter(level=RegionLevel.COMMUNITY, code__startswith="510104").first()
    assert community is not None
    registered = await running.gql.data(
        "mutation($input: RegisterTerminalInput!) { registerTerminal(input: $input) { "
        "... on TerminalRegistration { credential } } }",
        {
            "input": {
                "code": f"T-{serial}",
                "name": "社区自助终端",
                "communityCode": community.code,
                "placement": "COMMUNITY_AGENCY",
                "address": "某社区服务中心",
                "location": {"lat": 30.65, "lng": 104.08},
            }
        },
        token=token,
    )
    credential = registered["registerTerminal"]["credential"]
    device = await running.gql.data(
        REGISTER,
        {
            "input": {
                "kind": "TERMINAL",
                "serial": serial,
                "name": "终端读卡器",
                "publicKey": await public_key(wechat, serial),
                "terminalCode": f"T-{serial}",
            }
        },
        token=token,
    )
    assert device["registerDevice"]["__typename"] == "Device", device
    session = await running.gql.data(
        "mutation($c: String!, $k: String!) { loginTerminal(input: {code: $c, credential: $k}) "
        "{ ... on Session { token } } }",
        {"c": f"T-{serial}", "k": credential},
    )
    return str(session["loginTerminal"]["token"])


async def _face(wechat: httpx.AsyncClient, serial: str, user: str, number: str) -> dict[str, str]:
    response = await wechat.post(
        "/__mock__/terminal/face", json={"deviceId": serial, "user": user, "idNumber": number}
    )
    return dict(response.json())


async def _ended(running: RunningApp, token: str) -> bool:
    answer = await running.gql(ME, token=token)
    codes = [e["extensions"]["code"] for e in answer.body.get("errors") or []]
    return codes == ["UNAUTHENTICATED"]


async def _sign_in(running: RunningApp, token: str, card: Any, face: Any) -> dict[str, Any]:
    answer = await running.gql.data(
        SIGN_IN, {"input": {"cardRead": card, "faceCheck": face}}, token=token
    )
    return dict(answer["signInAtTerminal"])


async def test_sign_in_scoping_and_inactivity(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    device_token = await _terminal(seeded, wechat, "terminal-1")
    person = await resident(seeded, wechat, "terminal-resident")
    other: MiniProgram = await verified_resident(seeded, wechat, "terminal-other")
    theirs = await submit(seeded, other)
    assert theirs["__typename"] == "Application", theirs

    # Someone else's face before the camera: refused.
    card = await card_read(wechat, "terminal-1", person=person.person)
    wrong_face = await _face(wechat, "terminal-1", "terminal-other", person.id_number)
    refused = await _sign_in(seeded, device_token, card, wrong_face)
    assert (refused["code"], refused["field"]) == ("FACE_MISMATCH", "faceCheck")

    card = await card_read(wechat, "terminal-1", person=person.person)
    face = await _face(wechat, "terminal-1", "terminal-resident", person.id_number)
    session = await _sign_in(seeded, device_token, card, face)
    assert session["__typename"] == "Session", session
    assert session["account"]["roles"] == ["RESIDENT"]
    token = session["token"]
    masked = person.id_number[:4] + "*" * 10 + person.id_number[-4:]
    assert (await seeded.gql.data(ME, token=token))["me"]["idNumberMasked"] == masked
    # Only the resident's own things: another resident's application is not there.
    seen = await seeded.gql.data(
        "query($id: ID!) { application(id: $id) { id } }", {"id": theirs["id"]}, token=token
    )
    assert seen["application"] is None

    redis = seeded.resources.redis
    key = Keys.terminal_idle(seeded.resources.keyring.token_hash(token))
    idle = seeded.settings.terminal_idle_seconds
    # Activity renews the idle time.
    await redis.expire(key, 5)
    await seeded.gql.data(ME, token=token)
    assert await redis.ttl(key) > idle - 5
    # Inactivity ends it.
    await redis.pexpire(key, 200)
    await asyncio.sleep(0.4)
    assert await _ended(seeded, token)


async def test_a_refresh_ends_a_terminal_session(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    device_token = await _terminal(seeded, wechat, "terminal-2")
    person = await resident(seeded, wechat, "terminal-refresh")
    card = await card_read(wechat, "terminal-2", person=person.person)
    face = await _face(wechat, "terminal-2", "terminal-refresh", person.id_number)
    session = await _sign_in(seeded, device_token, card, face)
    refreshed = await seeded.gql.data(
        "mutation($t: String!) { refreshSession(input: {refreshToken: $t}) { "
        "... on Session { token } } }",
        {"t": session["refreshToken"]},
    )
    new_token = refreshed["refreshSession"]["token"]
    assert await _ended(seeded, new_token)


async def test_only_the_terminals_own_device_and_a_terminal_may_sign_in(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    device_token = await _terminal(seeded, wechat, "terminal-3")
    manager = await officer(seeded, wechat, JINJIANG_POLICE)
    found = await works_at(manager, JINJIANG_CENTRE, CentreStaffRole.MANAGER)
    await register_reader(seeded, wechat, manager, found, "window-reader-3")
    person = await resident(seeded, wechat, "terminal-who")
    card = await card_read(wechat, "window-reader-3", person=person.person)
    face = await _face(wechat, "terminal-3", "terminal-who", person.id_number)
    answer = await _sign_in(seeded, device_token, card, face)
    assert (answer["code"], answer["field"]) == ("NOT_A_TERMINAL_READER", "cardRead")

    card = await card_read(wechat, "terminal-3", person=person.person)
    by_resident = await _sign_in(seeded, str(person.program.token), card, face)
    assert by_resident["code"] == "FORBIDDEN"
    garbage = await _sign_in(seeded, device_token, {"payload": "{}", "signature": "x"}, face)
    assert garbage["code"] == "INVALID_INPUT"
