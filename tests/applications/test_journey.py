"""The whole journey through the API: submit, accept, parallel tasks, result, rating."""

from __future__ import annotations

import httpx

from api.outbox import dispatcher
from tests.applications.conftest import (
    ACCEPT,
    COMPLETE,
    HYGIENE,
    ISSUE,
    RATE,
    implementation,
    officers,
    submit,
    verified_resident,
)
from tests.conftest import RunningApp


async def test_an_application_runs_from_submission_to_rating(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await verified_resident(seeded, wechat, "journey")
    item = await implementation(HYGIENE)
    tokens = await officers(seeded, item)
    assert len(tokens) == 2  # the lead department and one cooperating department

    submitted = await submit(seeded, program)
    assert submitted["__typename"] == "Application", submitted
    assert submitted["status"] == "SUBMITTED"
    assert submitted["number"].startswith("CD")
    states = {m["position"]: m["state"] for m in submitted["materials"]}
    assert sorted(states.values()) == ["FROM_ISSUER", "OWED", "PROVIDED", "PROVIDED"]

    accepted = await seeded.gql.data(
        ACCEPT,
        {"input": {"applicationId": submitted["id"], "note": "材料齐全"}},
        token=tokens["lead"],
    )
    application = accepted["acceptApplication"]
    assert application["status"] == "ACCEPTED", application
    assert len(application["tasks"]) == 2
    assert application["dueDate"] is not None

    for task, token in zip(application["tasks"], tokens.values(), strict=True):
        done = await seeded.gql.data(
            COMPLETE, {"input": {"taskId": task["id"], "outcome": "APPROVED"}}, token=token
        )
        assert done["completeTask"]["status"] == "APPROVED", done

    issued = await seeded.gql.data(
        ISSUE, {"input": {"applicationId": submitted["id"]}}, token=tokens["lead"]
    )
    completed = issued["issueResult"]
    assert completed["status"] == "COMPLETED", completed
    assert completed["result"]["trustLevel"] == "A"

    rated = await seeded.gql.data(
        RATE,
        {"input": {"applicationId": submitted["id"], "level": "VERY_SATISFIED"}},
        token=program.token,
    )
    assert rated["rateApplication"]["rating"]["level"] == "VERY_SATISFIED"
    events = [e["type"] for e in rated["rateApplication"]["events"]]
    assert events == [
        "SUBMITTED",
        "ACCEPTED",
        "TASK_APPROVED",
        "TASK_APPROVED",
        "APPROVED",
        "COMPLETED",
        "RATED",
    ]

    await dispatcher(seeded.resources).drain()
    inbox = await seeded.gql.data(
        "{ notifications(first: 20) { edges { node { title body read } } } }", token=program.token
    )
    titles = [e["node"]["title"] for e in inbox["notifications"]["edges"]]
    assert titles == ["办件已办结", "办件审批通过", "办件已受理", "办件已提交"]
