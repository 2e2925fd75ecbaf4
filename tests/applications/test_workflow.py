"""The transition table, acting out of turn, another department's work, and two officers
completing one task at once."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from resolvers.applications.errors import ApplicationError
from resolvers.applications.workflow import Action, step
from storage.models.applications import ApplicationStatus as S
from tests.applications.conftest import (
    ACCEPT,
    COMPLETE,
    HYGIENE,
    ISSUE,
    REJECT,
    WITHDRAW,
    implementation,
    officers,
    other_officer,
    submit,
    verified_resident,
)
from tests.conftest import RunningApp
from tests.documents.conftest import count_rows

ALLOWED = {
    (S.SUBMITTED, Action.ACCEPT): S.ACCEPTED,
    (S.SUBMITTED, Action.REJECT): S.NOT_ACCEPTED,
    (S.SUBMITTED, Action.REQUEST_SUPPLEMENT): S.SUPPLEMENT_REQUESTED,
    (S.SUBMITTED, Action.WITHDRAW): S.WITHDRAWN,
    (S.SUPPLEMENT_REQUESTED, Action.SUPPLEMENT): S.SUBMITTED,  # resumes where it was
    # 容缺后补 while it is handled: the status stays.
    (S.SUBMITTED, Action.SUPPLEMENT): S.SUBMITTED,
    (S.ACCEPTED, Action.SUPPLEMENT): S.ACCEPTED,
    (S.SUPPLEMENT_REQUESTED, Action.WITHDRAW): S.WITHDRAWN,
    (S.ACCEPTED, Action.REQUEST_SUPPLEMENT): S.SUPPLEMENT_REQUESTED,
    (S.ACCEPTED, Action.APPROVE): S.APPROVED,
    (S.ACCEPTED, Action.DENY): S.DENIED,
    (S.APPROVED, Action.ISSUE_RESULT): S.COMPLETED,
    # A department's progress report (its business system's callback): status unchanged.
    (S.ACCEPTED, Action.PROGRESS): S.ACCEPTED,
    (S.APPROVED, Action.PROGRESS): S.APPROVED,
}


@pytest.mark.parametrize("status", list(S))
@pytest.mark.parametrize("action", list(Action))
def test_the_transition_table(status: S, action: Action) -> None:
    expected = ALLOWED.get((status, action))
    if expected is None:
        with pytest.raises(ApplicationError) as raised:
            step(status, action, resume=S.SUBMITTED)
        assert raised.value.code.value == "INVALID_STATE"
    else:
        assert step(status, action, resume=S.SUBMITTED) is expected


def test_withdrawing_during_supplement_after_acceptance_is_refused() -> None:
    with pytest.raises(ApplicationError):
        step(S.SUPPLEMENT_REQUESTED, Action.WITHDRAW, resume=S.ACCEPTED)


async def test_acting_out_of_turn_or_for_another_department_changes_nothing(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await verified_resident(seeded, wechat, "a")
    item = await implementation(HYGIENE)
    tokens = await officers(seeded, item)
    stranger = await other_officer(seeded, item)
    submitted = await submit(seeded, program)
    target = {"input": {"applicationId": submitted["id"]}}
    events = await count_rows("application_event")

    early = await seeded.gql.data(ISSUE, target, token=tokens["lead"])
    foreign = await seeded.gql.data(ACCEPT, target, token=stranger)
    by_owner = await seeded.gql.data(ACCEPT, target, token=program.token)
    no_reason = await seeded.gql.data(
        REJECT, {"input": {"applicationId": submitted["id"], "reason": " "}}, token=tokens["lead"]
    )
    peek = await seeded.gql.data(
        "query($id: ID!) { application(id: $id) { id } node(id: $id) { id } }",
        {"id": submitted["id"]},
        token=stranger,
    )

    assert early["issueResult"]["code"] == "INVALID_STATE"
    assert foreign["acceptApplication"]["code"] == "NOT_FOUND"
    assert by_owner["acceptApplication"]["code"] == "FORBIDDEN"
    assert no_reason["rejectApplication"]["code"] == "REASON_REQUIRED"
    assert peek == {"application": None, "node": None}
    assert await count_rows("application_event") == events

    accepted = await seeded.gql.data(ACCEPT, target, token=tokens["lead"])
    late = await seeded.gql.data(WITHDRAW, target, token=program.token)
    task = next(t for t in accepted["acceptApplication"]["tasks"] if not t["lead"])
    wrong_department = await seeded.gql.data(
        COMPLETE, {"input": {"taskId": task["id"], "outcome": "APPROVED"}}, token=tokens["lead"]
    )
    assert late["withdrawApplication"]["code"] == "INVALID_STATE"
    assert wrong_department["completeTask"]["code"] == "NOT_FOUND"


async def test_two_officers_completing_one_task_at_once_one_wins(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await verified_resident(seeded, wechat, "a")
    item = await implementation(HYGIENE)
    tokens = await officers(seeded, item)
    submitted = await submit(seeded, program)
    accepted = await seeded.gql.data(
        ACCEPT, {"input": {"applicationId": submitted["id"]}}, token=tokens["lead"]
    )
    task = next(t for t in accepted["acceptApplication"]["tasks"] if t["lead"])
    second_session = (await officers(seeded, item))["lead"]

    results = await asyncio.gather(
        seeded.gql(
            COMPLETE, {"input": {"taskId": task["id"], "outcome": "APPROVED"}}, token=tokens["lead"]
        ),
        seeded.gql(
            COMPLETE,
            {"input": {"taskId": task["id"], "outcome": "DENIED", "note": "不符合条件"}},
            token=second_session,
        ),
    )

    outcomes = sorted(r.data["completeTask"]["__typename"] for r in results)
    assert outcomes == ["ApplicationTask", "CompleteTaskError"]
    loser = next(r.data["completeTask"] for r in results if "code" in r.data["completeTask"])
    assert loser["code"] == "TASK_ALREADY_DONE"


async def test_a_denied_task_denies_the_application_and_cancels_the_rest(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await verified_resident(seeded, wechat, "a")
    item = await implementation(HYGIENE)
    tokens = await officers(seeded, item)
    submitted = await submit(seeded, program)
    accepted = await seeded.gql.data(
        ACCEPT, {"input": {"applicationId": submitted["id"]}}, token=tokens["lead"]
    )
    task = next(t for t in accepted["acceptApplication"]["tasks"] if t["lead"])

    await seeded.gql.data(
        COMPLETE,
        {"input": {"taskId": task["id"], "outcome": "DENIED", "note": "场所不符合卫生要求"}},
        token=tokens["lead"],
    )
    after = await seeded.gql.data(
        "query($id: ID!) { application(id: $id) { status reason tasks { status } } }",
        {"id": submitted["id"]},
        token=program.token,
    )

    assert after["application"]["status"] == "DENIED"
    assert after["application"]["reason"] == "场所不符合卫生要求"
    assert sorted(t["status"] for t in after["application"]["tasks"]) == ["CANCELLED", "DENIED"]
