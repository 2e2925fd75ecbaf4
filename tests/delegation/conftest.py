"""Helpers of the delegation tests: verified residents with bound phones, officers of 锦江区,
a community helper, and the GraphQL documents of 帮办代办."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

import httpx

from mock_wechat.client import MiniProgram
from storage.models.accounts import Account
from storage.models.catalogue import Department, Region
from tests.applications.conftest import HYGIENE, hygiene_documents, officer_token
from tests.conftest import RunningApp
from tests.documents.conftest import signed_in
from tests.identity import id_number, phone_number

JINJIANG_APPROVALS = "11510104452424621J"  # 锦江区行政审批局

DELEGATION_FIELDS = """
    __typename
    ... on Delegation {
      id status agentKind serviceCodes validUntil inForce acceptedAt revokedAt
      principal { nameMasked phoneMasked } agent { nameMasked phoneMasked }
      events { type byAgent applicationId principal { phoneMasked } agent { phoneMasked } }
    }
"""


def mutation(name: str, input_type: str, error: str, selection: str = DELEGATION_FIELDS) -> str:
    return (
        f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {selection} "
        f"... on {error} {{ code message field }} }} }}"
    )


GRANT = mutation("grantDelegation", "GrantDelegationInput", "GrantDelegationError")
ACCEPT = mutation("acceptDelegation", "AcceptDelegationInput", "AcceptDelegationError")
REVOKE = mutation("revokeDelegation", "RevokeDelegationInput", "RevokeDelegationError")
SUBMIT_AS_AGENT = (
    "mutation($input: SubmitApplicationAsAgentInput!) { submitApplicationAsAgent(input: $input) "
    "{ __typename ... on Application { id number status events { type byStaff } } "
    "... on SubmitApplicationAsAgentError { code message field fields } } }"
)
REGISTER_HELPER = mutation(
    "registerCommunityHelper",
    "RegisterCommunityHelperInput",
    "RegisterCommunityHelperError",
    "__typename ... on CommunityHelper { id name communityName }",
)
ADD_CLIENT = mutation(
    "addHelperClient",
    "AddHelperClientInput",
    "AddHelperClientError",
    "__typename ... on HelperClient { id helperId removedAt resident { phoneMasked } }",
)
REMOVE_CLIENT = mutation(
    "removeHelperClient",
    "RemoveHelperClientInput",
    "RemoveHelperClientError",
    "__typename ... on HelperClient { id removedAt }",
)
MY_DELEGATIONS = (
    "query($d: DelegationDirection!) { myDelegations(direction: $d) { nodes { "
    "id status inForce serviceCodes principal { phoneMasked } agent { phoneMasked } } } }"
)
DELEGATED = (
    "query($id: ID!) { delegatedApplications(delegationId: $id) { nodes { "
    "applicationId number status serviceName events { type } } } }"
)


@dataclass
class Person:
    program: MiniProgram
    phone: str

    @property
    def token(self) -> str:
        assert self.program.token is not None
        return self.program.token


async def person(running: RunningApp, wechat: httpx.AsyncClient, user: str) -> Person:
    """A signed-in resident with a bound phone and a verified identity."""
    program = await signed_in(running, wechat, user)
    phone = phone_number()
    bound = await program.bind_phone(phone)
    assert bound["__typename"] == "Account", bound
    verified = await program.verify_identity("张三", id_number())
    assert verified["__typename"] == "Account", verified
    return Person(program, phone)


CHINA = timezone(timedelta(hours=8))


def china_today() -> date:
    return datetime.now(CHINA).date()


def until(days: int = 30) -> str:
    """A day `days` after today in China (negative: before)."""
    return (china_today() + timedelta(days=days)).isoformat()


async def call(
    running: RunningApp, document: str, values: dict[str, Any], token: str | None
) -> Any:
    """The mutation's payload (its one root field)."""
    response = await running.gql(document, {"input": values}, token=token)
    assert not response.errors, response.errors
    return next(iter(response.data.values()))


async def grant(
    running: RunningApp, principal: Person, agent: Person, *codes: str, **extra: Any
) -> dict[str, Any]:
    values = {
        "agentPhone": agent.phone,
        "serviceCodes": list(codes) or [HYGIENE[0]],
        "validUntil": until(),
        **extra,
    }
    return dict(await call(running, GRANT, values, principal.token))


async def granted_and_accepted(
    running: RunningApp, principal: Person, agent: Person, *codes: str
) -> str:
    given = await grant(running, principal, agent, *codes)
    assert given["__typename"] == "Delegation", given
    accepted = await call(running, ACCEPT, {"delegationId": given["id"]}, agent.token)
    assert accepted["status"] == "ACTIVE", accepted
    return str(given["id"])


async def submit_as_agent(
    running: RunningApp, agent: MiniProgram, delegation_id: str, **overrides: Any
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "delegationId": delegation_id,
        "serviceCode": HYGIENE[0],
        "regionCode": HYGIENE[1],
        "channel": "MINI_PROGRAM",
    }
    if "documentIds" not in overrides:
        values["documentIds"] = await hygiene_documents(agent)
    values.update(overrides)
    assert agent.token is not None
    return dict(await call(running, SUBMIT_AS_AGENT, values, agent.token))


async def jinjiang_officer(running: RunningApp) -> str:
    department = await Department.get(code=JINJIANG_APPROVALS)
    return await officer_token(running, department.id)


async def officer_elsewhere(running: RunningApp) -> str:
    department = await Department.filter(region__code="510107").order_by("code").first()
    assert department is not None
    return await officer_token(running, department.id)


async def community() -> Region:
    found = await Region.filter(level="COMMUNITY", code__startswith="510104").first()
    assert found is not None
    return found


@dataclass
class Helper:
    id: str
    program: MiniProgram  # the officer's session, able to upload documents as any account


async def helper(running: RunningApp, wechat: httpx.AsyncClient) -> Helper:
    """An officer of another 锦江区 department registered as 社区代办员 of a community."""
    lead = await Department.get(code=JINJIANG_APPROVALS)
    other = (
        await Department.filter(region_id=lead.region_id)
        .exclude(code=JINJIANG_APPROVALS)
        .order_by("code")
        .first()
    )
    assert other is not None
    account = await Account.get(department_id=other.id)
    registered = await call(
        running,
        REGISTER_HELPER,
        {"communityCode": (await community()).code, "username": account.username},
        await jinjiang_officer(running),
    )
    assert registered["__typename"] == "CommunityHelper", registered
    program = MiniProgram(running.client, wechat, "helper", uploads=running.client)
    program.token = await officer_token(running, other.id)
    return Helper(id=str(registered["id"]), program=program)
