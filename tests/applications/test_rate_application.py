"""rateApplication: once, only when finished; 差评 opens a rectification with a revisit."""

from __future__ import annotations

import httpx

from tests.applications.conftest import (
    HYGIENE,
    RATE,
    REJECT,
    implementation,
    officers,
    submit,
    verified_resident,
)
from tests.conftest import RunningApp
from tests.documents.conftest import count_rows

REVISIT = (
    "mutation($input: RecordRevisitInput!) { recordRevisit(input: $input) { __typename "
    "... on Rectification { status revisitNote } ... on RecordRevisitError { code } } }"
)


async def test_a_bad_rating_opens_a_rectification_and_a_revisit_closes_it(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await verified_resident(seeded, wechat, "a")
    tokens = await officers(seeded, await implementation(HYGIENE))
    submitted = await submit(seeded, program)
    target = {"applicationId": submitted["id"]}

    early = await seeded.gql.data(
        RATE, {"input": {**target, "level": "SATISFIED"}}, token=program.token
    )
    await seeded.gql.data(
        REJECT, {"input": {**target, "reason": "不属于本部门受理范围"}}, token=tokens["lead"]
    )
    rated = await seeded.gql.data(
        RATE,
        {"input": {**target, "level": "VERY_DISSATISFIED", "comment": "等太久"}},
        token=program.token,
    )
    twice = await seeded.gql.data(
        RATE, {"input": {**target, "level": "SATISFIED"}}, token=program.token
    )
    open_ = await seeded.gql.data(
        "{ rectifications { id status dueDate } applicationRatings(by: DEPARTMENT) { total average levels { level count } } }",
        token=tokens["lead"],
    )
    rectification = open_["rectifications"][0]
    revisit = await seeded.gql.data(
        REVISIT,
        {"input": {"rectificationId": rectification["id"], "note": "已电话回访并说明"}},
        token=tokens["lead"],
    )
    again = await seeded.gql.data(
        REVISIT,
        {"input": {"rectificationId": rectification["id"], "note": "再次"}},
        token=tokens["lead"],
    )

    assert early["rateApplication"]["code"] == "NOT_FINISHED"
    assert rated["rateApplication"]["rating"]["level"] == "VERY_DISSATISFIED"
    assert twice["rateApplication"]["code"] == "ALREADY_RATED"
    assert await count_rows("rating") == 1
    assert rectification["status"] == "OPEN"
    assert rectification["dueDate"]
    summary = open_["applicationRatings"][0]
    assert summary["total"] == 1
    assert summary["average"] == 1.0
    assert revisit["recordRevisit"]["status"] == "REVISITED"
    assert again["recordRevisit"]["code"] == "ALREADY_REVISITED"
