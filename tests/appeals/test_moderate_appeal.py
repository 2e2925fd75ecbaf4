"""moderateAppeal and the re-check of held content: moderators of the 12345 centre release
(then dispatch) or reject content WeChat held for review; appeals held while WeChat was down
are asked about again by the worker, and go to a moderator if it stays down."""

from __future__ import annotations

from typing import Any

import httpx

from api.seed import seed_demo
from mock_wechat.server import MockState
from resolvers.appeals.handling import recheck_held
from tests.appeals.conftest import (
    CENTRE,
    DETAIL,
    MODERATE,
    URBAN,
    act,
    drain,
    file,
    resident,
    resident_inbox,
    staff_token,
)
from tests.conftest import RunningApp, start_app

REVIEW_TEXT = "疑似有人在春熙路口违规摆摊，占用人行道。"


async def _fail_wechat(wechat: httpx.AsyncClient, times: int) -> None:
    await wechat.post(
        "/__mock__/fail", json={"path": "/wxa/msg_sec_check", "status": 503, "times": times}
    )


async def test_a_moderator_releases_held_content_which_is_then_dispatched(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "a")
    held = await file(seeded, program, content=REVIEW_TEXT)
    centre = await staff_token(seeded, CENTRE)
    queue = await seeded.gql.data(
        "{ workItems { nodes { kind appeal { number } } } }", token=centre
    )

    released = await act(seeded, MODERATE, centre, appealId=held["id"], decision="RELEASE")

    assert {"kind": "APPEAL_MODERATION", "appeal": {"number": held["number"]}} in queue[
        "workItems"
    ]["nodes"]
    assert released["status"] == "DISPATCHED"
    assert released["holdReason"] is None
    assert released["department"]["code"] == URBAN
    assert [e["type"] for e in released["events"]] == ["FILED", "HELD", "RELEASED", "DISPATCHED"]


async def test_a_moderator_rejects_with_a_reason_the_resident_reads(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "a")
    held = await file(seeded, program, content=REVIEW_TEXT)
    centre = await staff_token(seeded, CENTRE)

    without_reason = await act(seeded, MODERATE, centre, appealId=held["id"], decision="REJECT")
    rejected = await act(
        seeded, MODERATE, centre, appealId=held["id"], decision="REJECT", reason="内容与诉求无关"
    )
    again = await act(seeded, MODERATE, centre, appealId=held["id"], decision="RELEASE")
    await drain(seeded)

    assert without_reason["code"] == "REASON_REQUIRED"
    assert rejected["status"] == "REJECTED"
    assert again["code"] == "INVALID_STATE"
    assert any(
        "不予受理" in body and "内容与诉求无关" in body for _, body in await resident_inbox(program)
    )


async def test_departments_cannot_moderate(seeded: RunningApp, wechat: httpx.AsyncClient) -> None:
    program = await resident(seeded, wechat, "a")
    held = await file(seeded, program, content=REVIEW_TEXT)
    urban = await staff_token(seeded, URBAN)

    refused = await act(seeded, MODERATE, urban, appealId=held["id"], decision="RELEASE")

    # Departments do not moderate at all: refused whatever the appeal, so nothing is revealed.
    assert refused["code"] == "FORBIDDEN"


async def test_appeals_held_while_wechat_was_down_are_checked_again(
    seeded: RunningApp, wechat: httpx.AsyncClient, mock_state: MockState
) -> None:
    program = await resident(seeded, wechat, "a")
    await _fail_wechat(wechat, 3)
    clean = await file(seeded, program)
    risky = await file(seeded, program, content="这里有人聚众赌博，请来查处。")
    review = await file(seeded, program, content=REVIEW_TEXT)
    assert {clean["holdReason"], risky["holdReason"], review["holdReason"]} == {"CHECK_PENDING"}

    done = await recheck_held(seeded.resources)
    centre = await staff_token(seeded, CENTRE)
    states = {}
    for name, appeal in (("clean", clean), ("risky", risky), ("review", review)):
        found = await seeded.gql.data(DETAIL, {"id": appeal["id"]}, token=centre)
        states[name] = (found["appeal"]["status"], found["appeal"]["holdReason"])

    assert done == 3
    assert states == {
        "clean": ("DISPATCHED", None),
        "risky": ("REJECTED", None),
        "review": ("HELD", "REVIEW"),
    }


async def test_a_lasting_outage_hands_the_appeal_to_a_moderator(
    settings_factory: Any, mock_state: MockState, wechat: httpx.AsyncClient
) -> None:
    async for running in start_app(settings_factory(appeal_check_max_attempts=2)):
        await seed_demo(running.settings.model_copy(update={"demo_data": True}))
        program = await resident(running, wechat, "a")
        await _fail_wechat(wechat, 10)
        held = await file(running, program)

        first = await recheck_held(running.resources)
        centre = await staff_token(running, CENTRE)
        after_one = await running.gql.data(DETAIL, {"id": held["id"]}, token=centre)
        await recheck_held(running.resources)
        after_two = await running.gql.data(DETAIL, {"id": held["id"]}, token=centre)

        assert first == 0
        assert after_one["appeal"]["holdReason"] == "CHECK_PENDING"
        assert (after_two["appeal"]["status"], after_two["appeal"]["holdReason"]) == (
            "HELD",
            "REVIEW",
        )
