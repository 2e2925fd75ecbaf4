"""dispatchAppeal: the 12345 centre dispatches from its queue (派单) and moves work between
departments (改派); nobody else can, and two dispatchers at once leave one result."""

from __future__ import annotations

import asyncio

import httpx

from tests.appeals.conftest import (
    CENTRE,
    DETAIL,
    DISPATCH,
    SIGN,
    URBAN,
    WATER,
    act,
    admin_token,
    drain,
    file,
    inbox_of,
    resident,
    staff_token,
)
from tests.conftest import RunningApp


async def _queued(seeded: RunningApp, wechat: httpx.AsyncClient) -> dict:
    program = await resident(seeded, wechat, "a")
    return await file(seeded, program, categoryCode="0404", content="小区已经停电六个小时了。")


async def test_the_centre_dispatches_a_queued_appeal(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    appeal = await _queued(seeded, wechat)
    centre = await staff_token(seeded, CENTRE)

    dispatched = await act(
        seeded, DISPATCH, centre, appealId=appeal["id"], departmentCode=URBAN, note="请协调供电公司"
    )
    await drain(seeded)

    assert dispatched["status"] == "DISPATCHED"
    assert dispatched["department"]["code"] == URBAN
    assert dispatched["events"][-1] == {
        "type": "DISPATCHED",
        "status": "DISPATCHED",
        "note": "请协调供电公司",
        "byStaff": True,
        "department": {"code": URBAN},
    }
    assert dispatched["receivedOn"]
    assert dispatched["dueDate"]
    assert any(title == "新的诉求工单" for title, _ in await inbox_of(URBAN))


async def test_redispatch_moves_unfinished_work_and_starts_the_clock_again(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "a")
    appeal = await file(seeded, program)  # -> 城市管理委员会
    centre = await staff_token(seeded, CENTRE)
    urban = await staff_token(seeded, URBAN)
    await act(seeded, SIGN, urban, appealId=appeal["id"])

    by_accident = await act(seeded, DISPATCH, centre, appealId=appeal["id"], departmentCode=WATER)
    moved = await act(
        seeded, DISPATCH, centre, appealId=appeal["id"], departmentCode=WATER, reassign=True
    )
    former = await seeded.gql.data(DETAIL, {"id": appeal["id"]}, token=urban)
    water = await staff_token(seeded, WATER)
    now_theirs = await seeded.gql.data(DETAIL, {"id": appeal["id"]}, token=water)

    assert by_accident["code"] == "INVALID_STATE"
    assert moved["status"] == "DISPATCHED"  # signed again by the new department
    assert moved["department"]["code"] == WATER
    assert moved["events"][-1]["type"] == "REDISPATCHED"
    assert moved["signedAt"] is None
    assert former["appeal"] is None  # the former department no longer sees it
    assert now_theirs["appeal"]["number"] == appeal["number"]


async def test_redispatching_to_the_same_department_is_refused(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "a")
    appeal = await file(seeded, program)
    centre = await staff_token(seeded, CENTRE)

    refused = await act(
        seeded, DISPATCH, centre, appealId=appeal["id"], departmentCode=URBAN, reassign=True
    )

    assert refused["code"] == "SAME_DEPARTMENT"


async def test_only_the_centre_dispatches(seeded: RunningApp, wechat: httpx.AsyncClient) -> None:
    queued = await _queued(seeded, wechat)
    program = await resident(seeded, wechat, "b")
    handled = await file(seeded, program)
    urban = await staff_token(seeded, URBAN)
    water = await staff_token(seeded, WATER)

    by_handler = await act(
        seeded, DISPATCH, urban, appealId=handled["id"], departmentCode=WATER, reassign=True
    )
    by_stranger = await act(seeded, DISPATCH, water, appealId=queued["id"], departmentCode=WATER)
    by_resident = await seeded.gql(
        DISPATCH,
        {"input": {"appealId": queued["id"], "departmentCode": WATER}},
        token=program.token,
    )
    by_admin = await act(
        seeded, DISPATCH, await admin_token(seeded), appealId=queued["id"], departmentCode=WATER
    )

    assert by_handler["code"] == "FORBIDDEN"
    # Refused for dispatching at all, whatever the id: nothing about the appeal is revealed.
    assert by_stranger["code"] == "FORBIDDEN"
    assert by_resident.data["dispatchAppeal"]["code"] == "FORBIDDEN"
    assert by_admin["status"] == "DISPATCHED"  # ADMIN supervises too


async def test_unknown_department_and_appeal(seeded: RunningApp, wechat: httpx.AsyncClient) -> None:
    queued = await _queued(seeded, wechat)
    centre = await staff_token(seeded, CENTRE)

    unknown_department = await act(
        seeded, DISPATCH, centre, appealId=queued["id"], departmentCode="915101000000000000"
    )
    unknown_appeal = await act(
        seeded, DISPATCH, centre, appealId="QXBwZWFsOm5vbmU=", departmentCode=URBAN
    )

    assert unknown_department["code"] == "DEPARTMENT_NOT_FOUND"
    assert unknown_department["field"] == "departmentCode"
    assert unknown_appeal["code"] == "NOT_FOUND"


async def test_two_dispatchers_at_once_leave_one_result(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    queued = await _queued(seeded, wechat)
    first = await staff_token(seeded, CENTRE)
    second = await staff_token(seeded, CENTRE)

    results = await asyncio.gather(
        act(seeded, DISPATCH, first, appealId=queued["id"], departmentCode=URBAN),
        act(seeded, DISPATCH, second, appealId=queued["id"], departmentCode=WATER),
    )

    outcomes = sorted(r["__typename"] for r in results)
    winner = next(r for r in results if r["__typename"] == "Appeal")
    loser = next(r for r in results if r["__typename"] != "Appeal")
    final = await seeded.gql.data(DETAIL, {"id": queued["id"]}, token=first)
    events = [e["type"] for e in final["appeal"]["events"]]

    assert outcomes == ["Appeal", "DispatchAppealError"]
    assert loser["code"] in ("INVALID_STATE", "CONFLICT")
    assert events == ["FILED", "DISPATCHED"]
    assert final["appeal"]["department"]["code"] == winner["department"]["code"]
