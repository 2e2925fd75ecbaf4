"""Shared helpers of the catalogue editing tests: staff sessions and a complete guide input."""

from __future__ import annotations

from typing import Any

from storage.models.accounts import Account
from storage.models.catalogue import Department
from tests.conftest import RunningApp

PASSWORD = "demo-password-for-tests"
LOGIN = """mutation($u: String!, $p: String!) {
  loginStaff(input: {username: $u, password: $p}) { ... on Session { token } ... on LoginStaffError { code } }
}"""

# Service and the error types both have `code`: a client aliases one of them.
UPSERT = """
mutation($input: UpsertImplementationInput!) {
  upsertImplementation(input: $input) {
    __typename
    ... on Service { id code version status name legalBasis materials { name } }
    ... on UpsertImplementationError { errorCode: code message field violations { rule field message } }
  }
}
"""
PUBLISH = """
mutation($input: PublishImplementationInput!) {
  publishImplementation(input: $input) {
    __typename
    ... on Service { code version status publishedAt }
    ... on PublishImplementationError { errorCode: code message field violations { rule field message } }
  }
}
"""


async def staff_token(app: RunningApp, username: str) -> str:
    result = await app.gql.data(LOGIN, {"u": username, "p": PASSWORD})
    token = result["loginStaff"].get("token")
    assert token, result
    return str(token)


async def officer_of(app: RunningApp, department_name: str) -> tuple[str, Department]:
    department = await Department.get(name=department_name)
    return await staff_token(app, f"officer-{department.code.lower()}"), department


async def resident_token(app: RunningApp) -> str:
    account = await Account.create(roles=["RESIDENT"])
    from resolvers.accounts import sessions

    issued = await sessions.issue(app.resources, account, method="SMS")
    return issued.token


def guide_input(department_code: str, **overrides: Any) -> dict[str, Any]:
    """A complete, publishable guide for 食品经营许可 in 锦江区."""
    values: dict[str, Any] = {
        "baseCode": "51000100010000",
        "regionCode": "510104",
        "departmentCode": department_code,
        "handlingType": "PROMISED",
        "conditions": "已取得营业执照，有与经营的食品品种相适应的经营场所。",
        "statutoryDays": 10,
        "promisedDays": 3,
        "visits": 0,
        "onlineDepth": 4,
        "channels": ["MINI_PROGRAM", "SERVICE_HALL"],
        "address": "锦江区政务服务中心",
        "hours": "工作日 9:00-17:00",
        "phone": "12345",
        "complaintPhone": "12345",
        "resultName": "食品经营许可证",
        "materials": [
            {
                "name": "营业执照",
                "necessity": "REQUIRED",
                "source": "GOVERNMENT",
                "documentKind": "BUSINESS_LICENCE",
                "issuingItemCode": "51000700050000",
            },
            {
                "name": "经营场所平面布局图",
                "necessity": "REQUIRED",
                "source": "APPLICANT",
                "documentKind": "OTHER",
            },
        ],
    }
    values.update(overrides)
    return values


def unaliased(result: dict[str, Any]) -> dict[str, Any]:
    """An error result with its aliased `errorCode` back under `code`, for brevity in tests."""
    if "errorCode" in result:
        result = {**result, "code": result["errorCode"]}
        del result["errorCode"]
    return result
