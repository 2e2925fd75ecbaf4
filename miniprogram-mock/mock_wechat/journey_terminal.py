"""The terminal journey: an ADMIN registers a community terminal and its reader, the terminal
signs in as its device, a resident signs in at it with the ID card and a face check, sees
their own applications, and the session ends once they walk away (or the terminal asks to
refresh it)."""

from __future__ import annotations

import json
import secrets
from typing import Any

import httpx

from mock_wechat.client import MiniProgram, post_graphql


class JourneyFailed(Exception):
    """A step answered something else than the journey needs."""


async def _gql(
    api: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None, token: str = ""
) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = await post_graphql(api, {"query": query, "variables": variables or {}}, headers)
    return dict(response.json())


def _need(condition: bool, step: str, answer: Any) -> None:
    if not condition:
        raise JourneyFailed(f"{step}: {answer}")


async def terminal_journey(
    program: MiniProgram,
    *,
    admin: str = "demo-admin",
    password: str = "rongban-demo",  # noqa: S107 (the demo seed's documented default)
) -> list[str]:
    """Runs after the login journey (the resident is verified, as `program.user`'s person)."""
    api, wechat, steps = program.api, program.wechat, []
    login = await _gql(
        api,
        "mutation($u: String!, $p: String!) { loginStaff(input: {username: $u, password: $p}) "
        "{ __typename ... on Session { token } } }",
        {"u": admin, "p": password},
    )
    admin_token = str(((login.get("data") or {}).get("loginStaff") or {}).get("token") or "")
    _need(bool(admin_token), "loginStaff", login)
    steps.append("loginStaff         -> Session (ADMIN)")

    found = await _gql(api, "{ terminals(first: 1) { edges { node { community { code } } } } }")
    edges = ((found.get("data") or {}).get("terminals") or {}).get("edges") or []
    _need(bool(edges), "terminals", found)
    community = edges[0]["node"]["community"]["code"]
    code = f"T-J{secrets.token_hex(4).upper()}"
    registered = await _gql(
        api,
        "mutation($input: RegisterTerminalInput!) { registerTerminal(input: $input) { "
        "__typename ... on TerminalRegistration { credential } } }",
        {
            "input": {
                "code": code,
                "name": "社区自助终端",
                "communityCode": community,
                "placement": "COMMUNITY_AGENCY",
                "address": "社区党群服务中心",
                "location": {"lat": 30.65, "lng": 104.08},
            }
        },
        token=admin_token,
    )
    credential = ((registered.get("data") or {}).get("registerTerminal") or {}).get("credential")
    _need(bool(credential), "registerTerminal", registered)
    steps.append(f"registerTerminal   -> {code} in {community}")

    serial = f"{code}-reader"
    key = (await wechat.post("/__mock__/card-reader/key", json={"deviceId": serial})).json()
    device = await _gql(
        api,
        "mutation($input: RegisterDeviceInput!) { registerDevice(input: $input) { "
        "__typename ... on Device { status } ... on RegisterDeviceError { code } } }",
        {
            "input": {
                "kind": "TERMINAL",
                "serial": serial,
                "name": "终端读卡器",
                "publicKey": key["publicKey"],
                "terminalCode": code,
            }
        },
        token=admin_token,
    )
    answer = ((device.get("data") or {}).get("registerDevice")) or {}
    _need(answer.get("__typename") == "Device", "registerDevice", device)
    steps.append(f"registerDevice     -> {answer['status']}")

    signed_in = await _gql(
        api,
        "mutation($c: String!, $k: String!) { loginTerminal(input: {code: $c, credential: $k}) "
        "{ __typename ... on Session { token } } }",
        {"c": code, "k": credential},
    )
    device_token = str(
        ((signed_in.get("data") or {}).get("loginTerminal") or {}).get("token") or ""
    )
    _need(bool(device_token), "loginTerminal", signed_in)
    steps.append("loginTerminal      -> Session (TERMINAL)")

    card = (
        await wechat.post(
            "/__mock__/card-reader/read", json={"deviceId": serial, "user": program.user}
        )
    ).json()
    number = str(json.loads(card["payload"])["idNumber"])
    face = (
        await wechat.post(
            "/__mock__/terminal/face",
            json={"deviceId": serial, "user": program.user, "idNumber": number},
        )
    ).json()
    session = await _gql(
        api,
        "mutation($input: SignInAtTerminalInput!) { signInAtTerminal(input: $input) { "
        "__typename ... on Session { token account { idNumberMasked } } "
        "... on SignInAtTerminalError { code } } }",
        {"input": {"cardRead": card, "faceCheck": face}},
        token=device_token,
    )
    answer = ((session.get("data") or {}).get("signInAtTerminal")) or {}
    _need(answer.get("__typename") == "Session", "signInAtTerminal", session)
    token = answer["token"]
    steps.append(f"signInAtTerminal   -> Session ({answer['account']['idNumberMasked']})")

    mine = await _gql(
        api, "{ myApplications(first: 10) { edges { node { number status } } } }", token=token
    )
    edges = ((mine.get("data") or {}).get("myApplications") or {}).get("edges")
    _need(edges is not None, "myApplications", mine)
    steps.append(f"myApplications     -> {len(edges or [])} of this resident's")

    await _gql(api, "mutation { logout(input: {allDevices: false}) { __typename } }", token=token)
    after = await _gql(api, "{ me { id } }", token=token)
    ended = not ((after.get("data") or {}).get("me"))
    _need(ended, "session ended", after)
    steps.append("walked away        -> the session is over")
    return steps
