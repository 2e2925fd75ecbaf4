"""Helpers of the scenario tests: residents with an ID number of a chosen birth date and
place, wallet uploads, GraphQL snippets for plans and submissions."""

from __future__ import annotations

from typing import Any

import httpx

from mock_wechat.client import MiniProgram
from storage.models.accounts import Account
from storage.models.catalogue import Department
from tests.applications.conftest import upload
from tests.conftest import RunningApp
from tests.documents.conftest import signed_in
from tests.identity import id_number

__all__ = ["id_number", "upload"]


async def resident(
    running: RunningApp,
    wechat: httpx.AsyncClient,
    user: str,
    *,
    region: str = "510104",
    born: str = "19900101",
) -> MiniProgram:
    program = await signed_in(running, wechat, user)
    result = await program.verify_identity("张三", id_number(region, born))
    assert result["__typename"] == "Account", result
    return program


async def staff_token(running: RunningApp, username: str) -> str:
    result = await running.gql.data(
        "mutation($u: String!, $p: String!) { loginStaff(input: {username: $u, password: $p}) "
        "{ ... on Session { token } } }",
        {"u": username, "p": "demo-password-for-tests"},
    )
    return str(result["loginStaff"]["token"])


async def officer_of(running: RunningApp, department_code: str) -> str:
    return await staff_token(running, f"officer-{department_code.lower()}")


async def officer_for_department_id(running: RunningApp, department_id: Any) -> str:
    officer = await Account.get(department_id=department_id)
    assert officer.username is not None
    return await staff_token(running, officer.username)


async def department_code(department_id: Any) -> str:
    return (await Department.get(id=department_id)).code


def answers(**values: str | list[str]) -> list[dict[str, Any]]:
    return [{"question": q, "values": v if isinstance(v, list) else [v]} for q, v in values.items()]


PLAN = """
query($code: String!, $answers: [ScenarioAnswerInput!], $region: String) {
  scenarioPlan(code: $code, answers: $answers, regionCode: $region) {
    complete askedQuestions missingQuestions regionSource region { code }
    promisedDays separatePromisedDays visits separateVisits channels digest
    scenario { code version }
    items { baseCode name available service { code promisedDays handlingType visits } }
    services { code }
    materials { name documentKind necessity source usedBy provision walletSatisfied
                walletDocuments { id kind } }
  }
}
"""

SUBMIT = """
mutation($input: SubmitScenarioInput!) {
  submitScenario(input: $input) {
    __typename
    ... on Application {
      id number status service { code } department { code }
      scenario { code name }
      children { id number status service { code name } department { code }
                 materials { name state document { id kind } } scenario { code } }
      events { type status note }
    }
    ... on SubmitScenarioError { code message field fields }
  }
}
"""

# 开办餐饮店 as a new 个体工商户 with a signboard and no staff: three items, in 锦江区.
RESTAURANT = answers(hasLicence="NO", entityType="INDIVIDUAL", signboard="YES", employees="0")
INDIVIDUAL, FOOD, SIGNBOARD = "51000700050000", "51000100010000", "51000100060000"
EMPLOYER = "51002000160000"


async def plan(
    running: RunningApp,
    code: str,
    values: list[dict[str, Any]],
    *,
    region: str | None = None,
    token: str | None = None,
) -> dict[str, Any]:
    response = await running.gql(
        PLAN, {"code": code, "answers": values, "region": region}, token=token
    )
    return dict(response.data["scenarioPlan"])


async def restaurant_documents(program: MiniProgram) -> list[str]:
    """In the merged list's order: the ID card once, then each OTHER material once."""
    return [await upload(program, "ID_CARD_FRONT")] + [
        await upload(program, "OTHER") for _ in range(6)
    ]


async def submit(running: RunningApp, program: MiniProgram, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "scenarioCode": "restaurant",
        "answers": RESTAURANT,
        "regionCode": "510104",
        "form": {FOOD: {"shopName": "蓉城小面", "businessScope": ["热食类食品制售"], "seats": 20}},
        "channel": "MINI_PROGRAM",
    }
    values.update(overrides)
    if "documentIds" not in values:
        values["documentIds"] = await restaurant_documents(program)
    response = await running.gql(SUBMIT, {"input": values}, token=program.token)
    return dict(response.data["submitScenario"])
