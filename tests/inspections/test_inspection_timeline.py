"""The joint inspection on the application's timeline: the proposal, each department's
answer, the resident's one appointment and each finding are events the resident reads, and the
timeline's statements do not grow with them."""

from __future__ import annotations

from datetime import timedelta

import httpx

from tests.applications.conftest import frozen
from tests.conftest import RunningApp
from tests.inspections.test_joint_inspection import (
    FINDING,
    PROPOSE,
    RESPOND,
    _accepted,
    _call,
    _slot,
)
from tests.sql import count_statements

TIMELINE = """query($id: ID!) { application(id: $id) { events {
  type note actorKind byStaff department { code } } } }"""
INSPECTION_STEPS = {
    "INSPECTION_PROPOSED",
    "INSPECTION_CONFIRMED",
    "INSPECTION_DECLINED",
    "INSPECTION_SCHEDULED",
    "INSPECTION_FINDING",
}


async def _steps(running: RunningApp, application_id: str, token: str | None) -> list[dict]:
    data = await running.gql.data(TIMELINE, {"id": application_id}, token=token)
    return [e for e in data["application"]["events"] if e["type"] in INSPECTION_STEPS]


async def test_the_resident_follows_the_inspection_on_the_timeline(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    (resident, application_id), tokens = await _accepted(seeded, wechat)
    others = [token for name, token in tokens.items() if name != "lead"]
    with count_statements() as before:
        await seeded.gql.data(TIMELINE, {"id": application_id}, token=resident.token)

    first = await _call(
        seeded, PROPOSE, {"applicationId": application_id, **_slot()}, tokens["lead"]
    )
    declined = await _call(
        seeded,
        RESPOND,
        {"inspectionId": first["id"], "decision": "DECLINE", "reason": "当天另有执法任务"},
        others[0],
    )
    assert declined["status"] == "DECLINED", declined
    again = await _call(
        seeded, PROPOSE, {"applicationId": application_id, **_slot(4)}, tokens["lead"]
    )
    for token in others:
        answered = await _call(
            seeded, RESPOND, {"inspectionId": again["id"], "decision": "CONFIRM"}, token
        )
    assert answered["status"] == "SCHEDULED", answered
    real_now = seeded.resources.clock()
    frozen(seeded, real_now + timedelta(days=5))
    for token in [tokens["lead"], *others]:
        recorded = await _call(
            seeded,
            FINDING,
            {"inspectionId": again["id"], "outcome": "PASSED", "finding": "场地符合卫生要求"},
            token,
        )
    assert recorded["status"] == "COMPLETED", recorded

    with count_statements() as after:
        steps = await _steps(seeded, application_id, resident.token)

    departments = len(others) + 1
    types = [s["type"] for s in steps]
    assert types == (
        ["INSPECTION_PROPOSED", "INSPECTION_CONFIRMED", "INSPECTION_DECLINED"]
        + ["INSPECTION_PROPOSED"]
        + ["INSPECTION_CONFIRMED"] * departments
        + ["INSPECTION_SCHEDULED"]
        + ["INSPECTION_FINDING"] * departments
    ), types
    declined_step = steps[2]
    assert "当天另有执法任务" in declined_step["note"]
    assert declined_step["actorKind"] == "DEPARTMENT"
    assert declined_step["byStaff"]
    assert declined_step["department"]["code"] is not None
    scheduled = steps[4 + departments]
    assert scheduled["actorKind"] == "SYSTEM"
    assert scheduled["department"] is None
    assert "锦江区春熙路1号" in scheduled["note"]
    assert all(
        "场地符合卫生要求" in s["note"] and "符合" in s["note"] for s in steps[-departments:]
    )
    assert {s["department"]["code"] for s in steps[-departments:]} == {
        s["department"]["code"] for s in steps[5 : 5 + departments - 1]
    } | {steps[0]["department"]["code"]}
    # One read of the timeline, whatever the number of steps on it.
    assert after.count == before.count, after.texts


async def test_another_resident_does_not_see_the_inspection_steps(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    from tests.applications.conftest import verified_resident

    (resident, application_id), tokens = await _accepted(seeded, wechat)
    await _call(seeded, PROPOSE, {"applicationId": application_id, **_slot()}, tokens["lead"])
    stranger = await verified_resident(seeded, wechat, "stranger")

    theirs = await seeded.gql.data(TIMELINE, {"id": application_id}, token=stranger.token)
    mine = await _steps(seeded, application_id, resident.token)

    assert theirs["application"] is None
    assert [s["type"] for s in mine] == ["INSPECTION_PROPOSED", "INSPECTION_CONFIRMED"]
