"""registerTerminal and loginTerminal: devices as TERMINAL principals."""

from __future__ import annotations

from storage.models.accounts import Account, Role
from storage.models.catalogue import Region, RegionLevel, Terminal
from tests.catalogue.editing import officer_of, staff_token
from tests.conftest import RunningApp

REGISTER = """
mutation($input: RegisterTerminalInput!) {
  registerTerminal(input: $input) {
    __typename
    ... on TerminalRegistration { credential terminal { code name placement serviceCodes community { code } } }
    ... on RegisterTerminalError { errorCode: code field violations { field } }
  }
}
"""
LOGIN = """
mutation($code: String!, $credential: String!) {
  loginTerminal(input: {code: $code, credential: $credential}) {
    __typename
    ... on Session { token account { roles } }
    ... on LoginTerminalError { code }
  }
}
"""


async def terminal(community: str, **overrides: object) -> dict:
    values: dict = {
        "code": "T-TEST-0001",
        "name": "春熙路商场自助终端",
        "communityCode": community,
        "placement": "MALL",
        "address": "春熙路某商场一楼",
        "location": {"lat": 30.6574, "lng": 104.0817},
        "serviceCodes": [],
    }
    values.update(overrides)
    return values


async def a_community() -> str:
    community = await Region.filter(level=RegionLevel.COMMUNITY, code__startswith="510104").first()
    assert community is not None
    return community.code


async def test_a_registered_terminal_signs_in_as_a_device(seeded: RunningApp) -> None:
    admin = await staff_token(seeded, "demo-admin")
    registered = (
        await seeded.gql.data(REGISTER, {"input": await terminal(await a_community())}, token=admin)
    )["registerTerminal"]

    session = (
        await seeded.gql.data(
            LOGIN, {"code": "T-TEST-0001", "credential": registered["credential"]}
        )
    )["loginTerminal"]
    wrong = (await seeded.gql.data(LOGIN, {"code": "T-TEST-0001", "credential": "rbt_guess"}))[
        "loginTerminal"
    ]
    unknown = (
        await seeded.gql.data(LOGIN, {"code": "T-NOPE", "credential": registered["credential"]})
    )["loginTerminal"]

    assert registered["credential"].startswith("rbt_")
    assert session["__typename"] == "Session"
    assert session["account"]["roles"] == ["TERMINAL"]
    assert wrong["code"] == unknown["code"] == "INVALID_CREDENTIALS"
    stored = await Terminal.get(code="T-TEST-0001")
    assert registered["credential"] not in stored.credential_hash
    device = await Account.get(id=stored.account_id)
    assert device.roles == [Role.TERMINAL.value]


async def test_county_staff_register_in_their_county_only(seeded: RunningApp) -> None:
    jinjiang, _ = await officer_of(seeded, "锦江区行政审批局")
    qingyang, _ = await officer_of(seeded, "青羊区行政审批局")
    community = await a_community()

    own = (await seeded.gql.data(REGISTER, {"input": await terminal(community)}, token=jinjiang))[
        "registerTerminal"
    ]
    other = (
        await seeded.gql.data(
            REGISTER, {"input": await terminal(community, code="T-TEST-0002")}, token=qingyang
        )
    )["registerTerminal"]

    assert own["__typename"] == "TerminalRegistration"
    assert other["errorCode"] == "FORBIDDEN"


async def test_bad_registrations_change_nothing(seeded: RunningApp) -> None:
    admin = await staff_token(seeded, "demo-admin")
    community = await a_community()
    before = await Terminal.all().count()
    await seeded.gql.data(REGISTER, {"input": await terminal(community)}, token=admin)

    taken = (await seeded.gql.data(REGISTER, {"input": await terminal(community)}, token=admin))[
        "registerTerminal"
    ]
    street = (
        await seeded.gql.data(
            REGISTER,
            {"input": await terminal(community[:9] + "000", code="T-TEST-0003")},
            token=admin,
        )
    )["registerTerminal"]
    unknown_service = (
        await seeded.gql.data(
            REGISTER,
            {"input": await terminal(community, code="T-TEST-0004", serviceCodes=["NOPE"])},
            token=admin,
        )
    )["registerTerminal"]
    swapped = (
        await seeded.gql.data(
            REGISTER,
            {
                "input": await terminal(
                    community, code="T-TEST-0005", location={"lat": 104.08, "lng": 30.65}
                )
            },
            token=admin,
        )
    )["registerTerminal"]

    assert taken["errorCode"] == "TERMINAL_CODE_TAKEN"
    assert street["errorCode"] == "UNKNOWN_REGION"
    assert unknown_service == {
        "__typename": "RegisterTerminalError",
        "errorCode": "NOT_FOUND",
        "field": "serviceCodes[0]",
        "violations": [],
    }
    assert {v["field"] for v in swapped["violations"]} == {"location.lat", "location.lng"}
    assert await Terminal.all().count() == before + 1
