"""Helpers of the application tests: verified residents with wallet documents, officers of
the departments handling an item, and GraphQL snippets."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from mock_wechat.client import MiniProgram
from storage.models.accounts import Account
from storage.models.catalogue import Department, Implementation, PublicationStatus
from tests.conftest import RunningApp
from tests.documents.conftest import jpeg, pdf, signed_in
from tests.identity import id_number

# 公共场所卫生许可 in 锦江区: REQUIRED BUSINESS_LICENCE (government), ID_CARD_FRONT, OTHER;
# DEFERRABLE OTHER; the demo seed adds a cooperating department.
HYGIENE = ("51000100020000", "510104")
# 食品经营许可 in 锦江区: has a form schema (shopName, businessScope, seats).
FOOD = ("51000100010000", "510104")


async def verified_resident(
    running: RunningApp, wechat: httpx.AsyncClient, user: str
) -> MiniProgram:
    program = await signed_in(running, wechat, user)
    result = await program.verify_identity("张三", id_number())
    assert result["__typename"] == "Account", result
    return program


async def upload(program: MiniProgram, kind: str) -> str:
    if kind in ("ID_CARD_FRONT", "ID_CARD_BACK", "PHOTO"):
        result = await program.upload_document(kind, f"{kind}.jpg", "image/jpeg", jpeg())
    else:
        result = await program.upload_document(kind, f"{kind}.pdf", "application/pdf", pdf())
    assert result["confirm"]["__typename"] == "Document", result
    return str(result["confirm"]["id"])


async def implementation(code: tuple[str, str]) -> Implementation:
    found = await Implementation.filter(
        base__basic_code=code[0], region__code=code[1], status=PublicationStatus.PUBLISHED
    ).first()
    assert found is not None
    return found


async def officer_token(running: RunningApp, department_id: Any) -> str:
    officer = await Account.get(department_id=department_id)
    result = await running.gql.data(
        "mutation($u: String!, $p: String!) { loginStaff(input: {username: $u, password: $p}) "
        "{ ... on Session { token } } }",
        {"u": officer.username, "p": "demo-password-for-tests"},
    )
    return str(result["loginStaff"]["token"])


async def officers(running: RunningApp, item: Implementation) -> dict[str, str]:
    """Tokens of the lead department's officer and of each cooperating department's."""
    tokens = {"lead": await officer_token(running, item.department_id)}
    for code in item.cooperating_departments:
        department = await Department.get(code=code)
        tokens[code] = await officer_token(running, department.id)
    return tokens


async def other_officer(running: RunningApp, item: Implementation) -> str:
    excluded = {item.department_id}
    for code in item.cooperating_departments:
        excluded.add((await Department.get(code=code)).id)
    department = await Department.exclude(id__in=list(excluded)).first()
    assert department is not None
    return await officer_token(running, department.id)


APPLICATION_FIELDS = """
    __typename
    ... on Application {
      id number status channel dueDate acceptanceDueDate dueBeyondCalendar overdue clockStopped
      reason service { code version } tasks { id status dueDate lead department { code } }
      events { type status note } materials { position state necessity document { id kind } }
      documents { id kind } result { id kind trustLevel } rating { level } form
    }
"""

ERROR_FIELDS = "... on UserError { message field } code"


def error_fragment(type_name: str) -> str:
    return f"... on {type_name} {{ code message field }}"


SUBMIT = (
    "mutation($input: SubmitApplicationInput!) { submitApplication(input: $input) { "
    + APPLICATION_FIELDS
    + " ... on SubmitApplicationError { code message field fields } } }"
)


def staff_mutation(
    name: str, input_type: str, error: str, selection: str = APPLICATION_FIELDS
) -> str:
    return (
        f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {selection} "
        f"... on {error} {{ code message field }} }} }}"
    )


ACCEPT = staff_mutation("acceptApplication", "AcceptApplicationInput", "AcceptApplicationError")
REJECT = staff_mutation("rejectApplication", "RejectApplicationInput", "RejectApplicationError")
REQUEST_SUPPLEMENT = staff_mutation(
    "requestSupplement", "RequestSupplementInput", "RequestSupplementError"
)
SUPPLEMENT = staff_mutation(
    "supplementApplication", "SupplementApplicationInput", "SupplementApplicationError"
)
WITHDRAW = staff_mutation(
    "withdrawApplication", "WithdrawApplicationInput", "WithdrawApplicationError"
)
ISSUE = staff_mutation("issueResult", "IssueResultInput", "IssueResultError")
RATE = staff_mutation("rateApplication", "RateApplicationInput", "RateApplicationError")
COMPLETE = staff_mutation(
    "completeTask",
    "CompleteTaskInput",
    "CompleteTaskError",
    "__typename ... on ApplicationTask { id status }",
)


async def hygiene_documents(program: MiniProgram) -> list[str]:
    """What 公共场所卫生许可 needs from the resident (the licence comes from the wallet)."""
    return [await upload(program, "ID_CARD_FRONT"), await upload(program, "OTHER")]


async def submit(running: RunningApp, program: MiniProgram, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "serviceCode": HYGIENE[0],
        "regionCode": HYGIENE[1],
        "documentIds": overrides.pop("documentIds", None) or await hygiene_documents(program),
        "channel": "MINI_PROGRAM",
    }
    values.update(overrides)
    response = await running.gql(SUBMIT, {"input": values}, token=program.token)
    return dict(response.data["submitApplication"])


def frozen(running: RunningApp, moment: datetime) -> None:
    """Freezes the app's clock (deadlines, outbox) at `moment`."""
    running.resources.clock = lambda: moment


def china(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour - 8, 0, tzinfo=UTC)
