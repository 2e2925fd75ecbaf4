"""returnAppeal (退单): within 2 working days of receipt, with a reason, back to the 12345
centre's queue for 改派; the returning department no longer sees it."""

from __future__ import annotations

import httpx

from tests.appeals.conftest import (
    CENTRE,
    DETAIL,
    DISPATCH,
    RETURN,
    SIGN,
    URBAN,
    WATER,
    act,
    china,
    drain,
    file,
    frozen,
    inbox_of,
    resident,
    staff_token,
)
from tests.conftest import RunningApp


async def test_a_wrongly_sent_appeal_is_returned_and_redispatched(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "a")
    appeal = await file(seeded, program)
    urban = await staff_token(seeded, URBAN)
    centre = await staff_token(seeded, CENTRE)
    await act(seeded, SIGN, urban, appealId=appeal["id"])

    returned = await act(seeded, RETURN, urban, appealId=appeal["id"], reason="属于供水问题")
    await drain(seeded)
    hidden = await seeded.gql.data(DETAIL, {"id": appeal["id"]}, token=urban)
    redispatched = await act(seeded, DISPATCH, centre, appealId=appeal["id"], departmentCode=WATER)

    assert returned["status"] == "RETURNED"
    assert returned["__typename"] == "Appeal"
    assert hidden["appeal"] is None
    assert any("属于供水问题" in body for _, body in await inbox_of(CENTRE))
    assert redispatched["status"] == "DISPATCHED"
    assert redispatched["department"]["code"] == WATER
    types = [e["type"] for e in redispatched["events"]]
    assert types[-2:] == ["RETURNED", "REDISPATCHED"]
    returned_event = redispatched["events"][-2]
    assert returned_event["note"] == "属于供水问题"
    assert returned_event["department"] == {"code": URBAN}


async def test_a_return_needs_a_reason(seeded: RunningApp, wechat: httpx.AsyncClient) -> None:
    program = await resident(seeded, wechat, "a")
    appeal = await file(seeded, program)
    urban = await staff_token(seeded, URBAN)

    refused = await act(seeded, RETURN, urban, appealId=appeal["id"], reason="  ")

    assert (refused["code"], refused["field"]) == ("REASON_REQUIRED", "reason")


async def test_the_return_window_is_two_working_days(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    frozen(seeded, china(2026, 3, 5))  # Thursday
    program = await resident(seeded, wechat, "a")
    appeal = await file(seeded, program, channel="WEB_HALL")
    urban = await staff_token(seeded, URBAN)
    assert appeal["returnableUntil"] == "2026-03-09"  # Friday, then Monday

    frozen(seeded, china(2026, 3, 10))
    late = await act(seeded, RETURN, urban, appealId=appeal["id"], reason="不属于本部门")
    frozen(seeded, china(2026, 3, 9, 17))
    in_time = await act(seeded, RETURN, urban, appealId=appeal["id"], reason="不属于本部门")

    assert late["code"] == "RETURN_WINDOW_CLOSED"
    assert in_time["status"] == "RETURNED"


async def test_only_the_handling_department_returns(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "a")
    appeal = await file(seeded, program)
    centre = await staff_token(seeded, CENTRE)

    by_centre = await act(seeded, RETURN, centre, appealId=appeal["id"], reason="测试")

    assert by_centre["code"] == "FORBIDDEN"
