"""The 帮办代办 journey, with the TV hall: a resident grants a relative a delegation, the
relative accepts and submits an application for them, both follow it, the resident revokes
and the relative can no longer act; then the resident signs a TV in with a code and the TV
reads their applications but may not submit. Every step is checked: a failed one ends the
journey with a non-zero exit (`DelegationJourneyFailed`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from mock_wechat.client import MiniProgram, post_graphql

HYGIENE = ("51000100020000", "510104")  # 公共场所卫生许可 in 锦江区


class DelegationJourneyFailed(SystemExit):
    """A step answered otherwise than the journey expects: exit code 1 with the reason."""

    def __init__(self, step: str, answer: Any) -> None:
        super().__init__(f"delegation journey failed at {step}: {answer}")


async def _graphql(
    program: MiniProgram, token: str | None, query: str, variables: dict[str, Any]
) -> dict[str, Any]:
    response = await post_graphql(
        program.api,
        {"query": query, "variables": variables},
        {"authorization": f"Bearer {token}"} if token else {},
    )
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise DelegationJourneyFailed("graphql", body)
    data: dict[str, Any] = body["data"]
    return data


def _expect(step: str, answer: dict[str, Any], typename: str) -> dict[str, Any]:
    if answer.get("__typename") != typename:
        raise DelegationJourneyFailed(step, answer)
    return answer


GRANT = """mutation($input: GrantDelegationInput!) { grantDelegation(input: $input) {
  __typename ... on Delegation { id status } ... on GrantDelegationError { code message } } }"""
RECEIVED = """query { myDelegations(direction: RECEIVED, first: 5) { nodes { id status
  principal { nameMasked } serviceCodes } } }"""
ACCEPT = """mutation($input: AcceptDelegationInput!) { acceptDelegation(input: $input) {
  __typename ... on Delegation { status inForce } ... on AcceptDelegationError { code } } }"""
SUBMIT = """mutation($input: SubmitApplicationAsAgentInput!) { submitApplicationAsAgent(
  input: $input) { __typename ... on Application { id number status }
  ... on SubmitApplicationAsAgentError { code message field } } }"""
DELEGATED = """query($id: ID!) { delegatedApplications(delegationId: $id) { nodes {
  number status serviceName } } }"""
MINE = "query { myApplications(first: 5) { nodes { number status } } }"
REVOKE = """mutation($input: RevokeDelegationInput!) { revokeDelegation(input: $input) {
  __typename ... on Delegation { status events { type byAgent } }
  ... on RevokeDelegationError { code } } }"""
TV_START = """mutation { startTvSignIn(input: {deviceName: "客厅电视"}) { __typename
  ... on TvSignIn { userCode deviceCode interval } } }"""
TV_CONFIRM = """mutation($code: String!) { confirmTvSignIn(input: {userCode: $code}) {
  __typename ... on TvSignInConfirmed { deviceName } ... on ConfirmTvSignInError { code } } }"""
TV_EXCHANGE = """mutation($device: String!) { exchangeTvSignIn(input: {deviceCode: $device}) {
  __typename ... on Session { token } ... on ExchangeTvSignInError { code } } }"""
TV_SUBMIT = """mutation { submitApplication(input: {serviceCode: "51000100020000",
  regionCode: "510104", channel: TV_HALL}) { __typename
  ... on SubmitApplicationError { code } } }"""


async def delegation_journey(
    principal: MiniProgram, agent: MiniProgram, agent_phone: str, documents: list[str]
) -> list[str]:
    """`principal` and `agent` are signed in with real names; the agent's phone is bound to
    `agent_phone` and `documents` are the agent's uploads for 公共场所卫生许可 (an ID card
    photo and a further material)."""
    steps: list[str] = []
    until = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    granted = _expect(
        "grantDelegation",
        (
            await _graphql(
                principal,
                principal.token,
                GRANT,
                {
                    "input": {
                        "agentPhone": agent_phone,
                        "serviceCodes": [HYGIENE[0]],
                        "validUntil": until,
                    }
                },
            )
        )["grantDelegation"],
        "Delegation",
    )
    steps.append(f"grantDelegation     -> Delegation {granted['status']}")
    received = (await _graphql(agent, agent.token, RECEIVED, {}))["myDelegations"]["nodes"]
    if not received or received[0]["id"] != granted["id"]:
        raise DelegationJourneyFailed("myDelegations", received)
    steps.append(f"myDelegations       -> {len(received)} received, {received[0]['status']}")
    accepted = _expect(
        "acceptDelegation",
        (await _graphql(agent, agent.token, ACCEPT, {"input": {"delegationId": granted["id"]}}))[
            "acceptDelegation"
        ],
        "Delegation",
    )
    steps.append(f"acceptDelegation    -> {accepted['status']} inForce={accepted['inForce']}")
    submission = {
        "delegationId": granted["id"],
        "serviceCode": HYGIENE[0],
        "regionCode": HYGIENE[1],
        "documentIds": documents,
        "channel": "MINI_PROGRAM",
    }
    submitted = _expect(
        "submitApplicationAsAgent",
        (await _graphql(agent, agent.token, SUBMIT, {"input": submission}))[
            "submitApplicationAsAgent"
        ],
        "Application",
    )
    steps.append(f"submitApplicationAsAgent -> Application {submitted['status']}")
    followed = (await _graphql(agent, agent.token, DELEGATED, {"id": granted["id"]}))[
        "delegatedApplications"
    ]["nodes"]
    if [row["number"] for row in followed] != [submitted["number"]]:
        raise DelegationJourneyFailed("delegatedApplications (agent)", followed)
    steps.append(f"delegatedApplications (agent) -> {followed[0]['serviceName']}")
    mine = (await _graphql(principal, principal.token, MINE, {}))["myApplications"]["nodes"]
    if submitted["number"] not in [row["number"] for row in mine]:
        raise DelegationJourneyFailed("myApplications (principal)", mine)
    steps.append("myApplications (principal) -> the agent's application is theirs")
    revoked = _expect(
        "revokeDelegation",
        (
            await _graphql(
                principal, principal.token, REVOKE, {"input": {"delegationId": granted["id"]}}
            )
        )["revokeDelegation"],
        "Delegation",
    )
    trail = ", ".join(e["type"] for e in revoked["events"])
    steps.append(f"revokeDelegation    -> {revoked['status']} ({trail})")
    refused = (await _graphql(agent, agent.token, SUBMIT, {"input": submission}))[
        "submitApplicationAsAgent"
    ]
    if refused.get("code") != "DELEGATION_NOT_IN_FORCE":
        raise DelegationJourneyFailed("submitApplicationAsAgent after revocation", refused)
    steps.append(f"submitApplicationAsAgent -> {refused['code']}")
    hidden = (await _graphql(agent, agent.token, DELEGATED, {"id": granted["id"]}))[
        "delegatedApplications"
    ]["nodes"]
    if hidden:
        raise DelegationJourneyFailed("delegatedApplications after revocation", hidden)
    steps.append("delegatedApplications (agent) -> nothing after revocation")
    steps += await tv_journey(principal, submitted["number"])
    return steps


async def tv_journey(principal: MiniProgram, number: str) -> list[str]:
    """The TV shows a code, the resident confirms it on the phone, the TV reads their
    applications and is refused a submission."""
    steps: list[str] = []
    started = _expect(
        "startTvSignIn",
        (await _graphql(principal, None, TV_START, {}))["startTvSignIn"],
        "TvSignIn",
    )
    steps.append(f"startTvSignIn       -> code {started['userCode']} on screen")
    confirmed = _expect(
        "confirmTvSignIn",
        (await _graphql(principal, principal.token, TV_CONFIRM, {"code": started["userCode"]}))[
            "confirmTvSignIn"
        ],
        "TvSignInConfirmed",
    )
    steps.append(f"confirmTvSignIn     -> {confirmed['deviceName']}")
    session = _expect(
        "exchangeTvSignIn",
        (await _graphql(principal, None, TV_EXCHANGE, {"device": started["deviceCode"]}))[
            "exchangeTvSignIn"
        ],
        "Session",
    )
    tv = session["token"]
    seen = (await _graphql(principal, tv, MINE, {}))["myApplications"]["nodes"]
    if number not in [row["number"] for row in seen]:
        raise DelegationJourneyFailed("myApplications (TV)", seen)
    steps.append(f"myApplications (TV) -> {len(seen)}")
    refused = (await _graphql(principal, tv, TV_SUBMIT, {}))["submitApplication"]
    if refused.get("code") != "FORBIDDEN":
        raise DelegationJourneyFailed("submitApplication (TV)", refused)
    steps.append("submitApplication (TV) -> FORBIDDEN")
    return steps


async def run(
    api_client: httpx.AsyncClient,
    wechat_client: httpx.AsyncClient,
    principal: MiniProgram,
    agent_user: str,
    agent_identity: tuple[str, str, str],
    jpeg: bytes,
) -> list[str]:
    """Signs the agent in (`agent_identity`: phone, name, ID number), uploads the agent's
    materials, then runs the journey for the signed-in `principal`."""
    from mock_wechat.journey import login_journey

    phone, name, id_number = agent_identity
    agent = MiniProgram(api_client, wechat_client, agent_user)
    steps = [
        f"(agent) {line}"
        for line in await login_journey(agent, phone=phone, id_number=id_number, name=name)
    ][:5]
    documents = []
    for kind in ("ID_CARD_FRONT", "OTHER"):
        uploaded = await agent.upload_document(kind, f"{kind}.jpg", "image/jpeg", jpeg)
        confirmed = uploaded.get("confirm") or {}
        if confirmed.get("__typename") != "Document":
            raise DelegationJourneyFailed(f"upload {kind}", uploaded)
        documents.append(str(confirmed["id"]))
    steps.append(f"(agent) uploads     -> {len(documents)} documents")
    return steps + await delegation_journey(principal, agent, phone, documents)
