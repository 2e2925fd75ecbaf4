"""reopenAppeal within the window, the closing of undisputed replies after it, and the 回访
the 12345 centre records for every closed appeal (recordAppealRevisit)."""

from __future__ import annotations

import httpx

from api.worker import run_jobs_once
from tests.appeals.conftest import (
    CENTRE,
    DETAIL,
    RATE,
    REOPEN,
    REPLY,
    REVISIT,
    URBAN,
    act,
    china,
    file,
    frozen,
    resident,
    staff_token,
)
from tests.conftest import RunningApp


async def _replied(seeded: RunningApp, wechat: httpx.AsyncClient) -> tuple:
    frozen(seeded, china(2026, 3, 2))
    program = await resident(seeded, wechat, "a")
    appeal = await file(seeded, program)
    urban = await staff_token(seeded, URBAN)
    await act(seeded, REPLY, urban, appealId=appeal["id"], content="已劝离占道摊贩。")
    return program, appeal, urban


async def test_a_replied_appeal_is_reopened_within_the_window(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program, appeal, urban = await _replied(seeded, wechat)
    frozen(seeded, china(2026, 3, 6))

    without_reason = await act(seeded, REOPEN, program.token, appealId=appeal["id"], reason="")
    reopened = await act(
        seeded, REOPEN, program.token, appealId=appeal["id"], reason="摊贩还在，没有人来"
    )
    staff_view = await seeded.gql.data(DETAIL, {"id": appeal["id"]}, token=urban)

    assert without_reason["code"] == "REASON_REQUIRED"
    assert reopened["status"] == "DISPATCHED"
    assert reopened["reopenCount"] == 1
    assert reopened["department"]["code"] == URBAN
    assert staff_view["appeal"]["events"][-1]["note"] == "摊贩还在，没有人来"


async def test_a_closed_appeal_can_be_reopened_within_the_window_but_not_after(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program, appeal, _ = await _replied(seeded, wechat)
    await act(seeded, RATE, program.token, appealId=appeal["id"], level="SATISFIED")
    frozen(seeded, china(2026, 3, 10))

    late = await act(seeded, REOPEN, program.token, appealId=appeal["id"], reason="又来了")
    frozen(seeded, china(2026, 3, 8))
    in_time = await act(seeded, REOPEN, program.token, appealId=appeal["id"], reason="又来了")

    assert late["code"] == "WINDOW_CLOSED"
    assert in_time["status"] == "DISPATCHED"


async def test_undisputed_replies_close_after_the_window_and_the_centre_revisits(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program, appeal, urban = await _replied(seeded, wechat)
    centre = await staff_token(seeded, CENTRE)
    frozen(seeded, china(2026, 3, 8))
    await run_jobs_once(seeded.resources)
    still_open = await seeded.gql.data(DETAIL, {"id": appeal["id"]}, token=program.token)

    frozen(seeded, china(2026, 3, 10))
    await run_jobs_once(seeded.resources)
    closed = await seeded.gql.data(
        "query($id: ID!) { appeal(id: $id) { status revisit { status dueDate method } } }",
        {"id": appeal["id"]},
        token=centre,
    )
    by_department = await act(
        seeded, REVISIT, urban, appealId=appeal["id"], method="CALL", satisfaction="SATISFIED"
    )
    no_answer = await act(seeded, REVISIT, centre, appealId=appeal["id"], method="CALL")
    recorded = await act(
        seeded,
        REVISIT,
        centre,
        appealId=appeal["id"],
        method="CALL",
        satisfaction="BASICALLY_SATISFIED",
        note="市民表示已基本解决",
    )
    twice = await act(seeded, REVISIT, centre, appealId=appeal["id"], method="UNREACHABLE")

    assert still_open["appeal"]["status"] == "REPLIED"
    assert closed["appeal"] == {
        "status": "CLOSED",
        "revisit": {"status": "PENDING", "dueDate": "2026-03-13", "method": None},
    }
    assert by_department["code"] == "FORBIDDEN"
    assert no_answer["code"] == "INVALID_INPUT"
    assert recorded["revisit"] == {
        "status": "DONE",
        "method": "CALL",
        "satisfaction": "BASICALLY_SATISFIED",
    }
    assert twice["code"] == "ALREADY_REVISITED"


async def test_reopening_needs_a_reply_and_the_owner(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "a")
    pending = await file(seeded, program)
    stranger = await resident(seeded, wechat, "b")

    early = await act(seeded, REOPEN, program.token, appealId=pending["id"], reason="没人管")
    foreign = await act(seeded, REOPEN, stranger.token, appealId=pending["id"], reason="没人管")

    assert early["code"] == "NOT_REPLIED"
    assert foreign["code"] == "NOT_FOUND"
