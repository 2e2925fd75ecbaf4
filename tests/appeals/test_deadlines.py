"""Every appeal deadline with a frozen clock, in working days: sign for it within 1, reply
within 5, 退单 within 2, per-category overrides, approved extensions; one 督办 per breach
(however many passes run, even at once), a new round after 改派, and the calendar's end.

The 2026 schedule (chinesecalendar): 春节 15-23 February are rest days, Saturday 14 and
Saturday 28 February are 调休 workdays."""

from __future__ import annotations

import asyncio
from datetime import date

import httpx

from api.worker import run_jobs_once
from resolvers.appeals.deadlines import scan
from resolvers.calendar.workdays import set_day
from storage.models.appeals import AppealSupervision
from storage.models.calendar import CalendarDay, CalendarSource
from tests.appeals.conftest import (
    CENTRE,
    DECIDE,
    DETAIL,
    DISPATCH,
    EXTEND,
    REPLY,
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

INBOX = (
    "query($u: Boolean) { appealSupervisions(unresolved: $u, first: 10) { nodes { kind round "
    "dueDate resolvedAt department { code } appeal { number } } } }"
)


async def _filed(seeded: RunningApp, wechat: httpx.AsyncClient, **overrides: object) -> dict:
    program = await resident(seeded, wechat, "a")
    return await file(seeded, program, channel="WEB_HALL", **overrides)


async def test_deadlines_across_the_spring_festival(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    frozen(seeded, china(2026, 2, 12))  # Thursday before 春节

    appeal = await _filed(seeded, wechat)

    assert appeal["receivedOn"] == "2026-02-12"
    assert appeal["signDueDate"] == "2026-02-13"
    assert appeal["returnableUntil"] == "2026-02-14"  # the 调休 Saturday counts
    # Fri 13, Sat 14, then nothing until Tue 24, Wed 25, Thu 26.
    assert appeal["dueDate"] == "2026-02-26"


async def test_a_friday_appeal_is_signed_for_by_monday(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    frozen(seeded, china(2026, 3, 6))

    appeal = await _filed(seeded, wechat)

    assert appeal["signDueDate"] == "2026-03-09"
    assert appeal["dueDate"] == "2026-03-13"


async def test_categories_override_the_deadlines(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    frozen(seeded, china(2026, 3, 2))  # Monday
    gas = await _filed(seeded, wechat, categoryCode="0403", content="楼道里有很重的燃气味。")
    water = await _filed(seeded, wechat, categoryCode="0401", content="小区停水两天了。")
    categories = await seeded.gql.data(
        "{ appealCategories { children { code signDays replyDays maxExtensionDays } } }"
    )
    leaves = {c["code"]: c for g in categories["appealCategories"] for c in g["children"]}

    assert (gas["signDueDate"], gas["dueDate"]) == ("2026-03-02", "2026-03-04")  # same day, 2
    assert (water["signDueDate"], water["dueDate"]) == ("2026-03-03", "2026-03-05")  # 1, 3
    assert leaves["0403"] == {"code": "0403", "signDays": 0, "replyDays": 2, "maxExtensionDays": 10}
    assert leaves["0101"] == {"code": "0101", "signDays": 1, "replyDays": 5, "maxExtensionDays": 10}


async def test_an_approved_extension_moves_the_reply_deadline_in_working_days(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    frozen(seeded, china(2026, 3, 2))
    appeal = await _filed(seeded, wechat)
    urban, centre = await staff_token(seeded, URBAN), await staff_token(seeded, CENTRE)
    await act(seeded, SIGN, urban, appealId=appeal["id"])
    assert appeal["dueDate"] == "2026-03-09"

    too_long = await act(seeded, EXTEND, urban, appealId=appeal["id"], days=11, reason="需现场核查")
    asked = await act(seeded, EXTEND, urban, appealId=appeal["id"], days=3, reason="需现场核查")
    twice = await act(seeded, EXTEND, urban, appealId=appeal["id"], days=1, reason="再延")
    approved = await act(seeded, DECIDE, centre, appealId=appeal["id"], approve=True)

    assert too_long["code"] == "EXTENSION_TOO_LONG"
    assert asked["extension"] == {
        "status": "PENDING",
        "requestedDays": 3,
        "approvedDays": 0,
        "reason": "需现场核查",
    }
    assert twice["code"] == "EXTENSION_PENDING"
    assert approved["dueDate"] == "2026-03-12"
    assert approved["extension"]["status"] == "APPROVED"
    assert approved["extension"]["approvedDays"] == 3
    # The department's own acts name it on the timeline; asking and deciding do not.
    assert [(e["type"], e["department"]) for e in approved["events"]][-3:] == [
        ("SIGNED", {"code": URBAN}),
        ("EXTENSION_REQUESTED", None),
        ("EXTENSION_APPROVED", None),
    ]


async def test_a_denied_extension_keeps_the_deadline_and_needs_a_note(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    frozen(seeded, china(2026, 3, 2))
    appeal = await _filed(seeded, wechat)
    urban, centre = await staff_token(seeded, URBAN), await staff_token(seeded, CENTRE)
    await act(seeded, SIGN, urban, appealId=appeal["id"])
    await act(seeded, EXTEND, urban, appealId=appeal["id"], days=5, reason="需协调")

    by_department = await act(seeded, DECIDE, urban, appealId=appeal["id"], approve=True)
    without_note = await act(seeded, DECIDE, centre, appealId=appeal["id"], approve=False)
    denied = await act(
        seeded, DECIDE, centre, appealId=appeal["id"], approve=False, note="可按期办结"
    )
    await drain(seeded)

    assert by_department["code"] == "FORBIDDEN"
    assert without_note["code"] == "REASON_REQUIRED"
    assert denied["dueDate"] == "2026-03-09"
    assert denied["extension"]["status"] == "DENIED"
    assert (denied["events"][-1]["type"], denied["events"][-1]["note"]) == (
        "EXTENSION_DENIED",
        "可按期办结",
    )
    assert denied["status"] == "SIGNED"
    assert any(title == "延期申请未批准" for title, _ in await inbox_of(URBAN))


async def test_each_breach_raises_exactly_one_supervision(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    frozen(seeded, china(2026, 3, 2))  # Monday: sign by Tue 3, reply by Mon 9
    appeal = await _filed(seeded, wechat)

    frozen(seeded, china(2026, 3, 3, 17))
    on_time = await scan(seeded.resources)
    frozen(seeded, china(2026, 3, 4))
    first = await scan(seeded.resources)
    again = await scan(seeded.resources)
    at_once = await asyncio.gather(scan(seeded.resources), scan(seeded.resources))
    await drain(seeded)

    assert on_time.supervised == 0
    assert first.supervised == 1
    assert again.supervised == 0
    assert sum(s.supervised for s in at_once) == 0
    rows = await AppealSupervision.all()
    assert [(r.kind.value, r.round, r.due_date) for r in rows] == [
        ("SIGN_OVERDUE", 1, date(2026, 3, 3))
    ]
    assert any(title == "督办：诉求超时未签收" for title, _ in await inbox_of(URBAN))
    assert any(title == "督办：诉求超时未签收" for title, _ in await inbox_of(CENTRE))
    centre = await staff_token(seeded, CENTRE)
    detail = await seeded.gql.data(DETAIL, {"id": appeal["id"]}, token=centre)
    assert detail["appeal"]["overdue"] is True
    assert [e["type"] for e in detail["appeal"]["events"]][-1] == "SUPERVISED"


async def test_signing_resolves_and_the_reply_breach_is_its_own(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    frozen(seeded, china(2026, 3, 2))
    appeal = await _filed(seeded, wechat)
    urban, centre = await staff_token(seeded, URBAN), await staff_token(seeded, CENTRE)
    frozen(seeded, china(2026, 3, 4))
    await scan(seeded.resources)
    await act(seeded, SIGN, urban, appealId=appeal["id"])

    frozen(seeded, china(2026, 3, 10))  # past Monday 9
    results = await run_jobs_once(seeded.resources)
    await run_jobs_once(seeded.resources)
    inbox = await seeded.gql.data(INBOX, {"u": None}, token=centre)
    open_ones = await seeded.gql.data(INBOX, {"u": True}, token=centre)
    replied = await act(seeded, REPLY, urban, appealId=appeal["id"], content="已清理占道摊点。")
    after_reply = await seeded.gql.data(INBOX, {"u": True}, token=centre)

    assert results["scan-appeal-deadlines"] >= 1
    kinds = sorted(n["kind"] for n in inbox["appealSupervisions"]["nodes"])
    assert kinds == ["REPLY_OVERDUE", "SIGN_OVERDUE"]
    assert [n["kind"] for n in open_ones["appealSupervisions"]["nodes"]] == ["REPLY_OVERDUE"]
    assert replied["replies"][0]["onTime"] is False
    assert replied["replies"][0]["workingDays"] == 6
    assert after_reply["appealSupervisions"]["nodes"] == []


async def test_a_redispatch_starts_a_new_round_that_can_breach_again(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    frozen(seeded, china(2026, 3, 2))
    appeal = await _filed(seeded, wechat)
    centre = await staff_token(seeded, CENTRE)
    frozen(seeded, china(2026, 3, 4))
    await scan(seeded.resources)

    moved = await act(
        seeded, DISPATCH, centre, appealId=appeal["id"], departmentCode=WATER, reassign=True
    )
    same_day = await scan(seeded.resources)
    frozen(seeded, china(2026, 3, 6))
    later = await scan(seeded.resources)

    assert moved["signDueDate"] == "2026-03-05"
    assert same_day.supervised == 0
    assert later.supervised == 1
    rows = sorted((r.round, r.kind.value) for r in await AppealSupervision.all())
    assert rows == [(1, "SIGN_OVERDUE"), (2, "SIGN_OVERDUE")]
    # The first round's 督办 was settled by the 改派.
    assert all(r.resolved_at is not None for r in await AppealSupervision.filter(round=1))


async def test_only_supervisors_read_the_supervision_inbox(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    urban = await staff_token(seeded, URBAN)

    refused = await seeded.gql(INBOX, {"u": None}, token=urban)

    assert refused.error_codes == ["FORBIDDEN"]


async def test_a_deadline_past_the_calendar_is_flagged_then_computed(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    frozen(seeded, china(2026, 12, 28))  # Monday; 2027 is not published yet
    # A calendar that ends with the published years (no provisional ones kept ahead).
    await CalendarDay.filter(source=CalendarSource.PROVISIONAL).delete()
    appeal = await _filed(seeded, wechat)
    centre = await staff_token(seeded, CENTRE)

    for day in range(1, 9):  # ADMIN publishes the first days of 2027: 元旦 is a rest day
        moment = date(2027, 1, day)
        await set_day(
            moment,
            is_workday=moment.weekday() < 5 and day != 1,
            note="",
            now=seeded.resources.clock(),
        )
    found = await scan(seeded.resources)
    detail = await seeded.gql.data(DETAIL, {"id": appeal["id"]}, token=centre)

    assert appeal["dueBeyondCalendar"] is True
    assert appeal["dueDate"] is None
    assert appeal["signDueDate"] == "2026-12-29"
    assert found.rescheduled == 1
    assert detail["appeal"]["dueBeyondCalendar"] is False
    assert detail["appeal"]["dueDate"] == "2027-01-05"  # Dec 29, 30, 31, Jan 4, 5


async def test_the_supervision_inbox_costs_the_same_statements_for_2_and_for_6(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    from tests.appeals.conftest import data_statements
    from tests.sql import count_statements

    centre = await staff_token(seeded, CENTRE)
    frozen(seeded, china(2026, 3, 2))
    for _ in range(2):
        await _filed(seeded, wechat)
    frozen(seeded, china(2026, 3, 4))
    await scan(seeded.resources)
    with count_statements() as few:
        small = await seeded.gql.data(INBOX, {"u": None}, token=centre)
    frozen(seeded, china(2026, 3, 2))
    for _ in range(4):
        await _filed(seeded, wechat)
    frozen(seeded, china(2026, 3, 4))
    await scan(seeded.resources)
    with count_statements() as many:
        large = await seeded.gql.data(INBOX, {"u": None}, token=centre)

    assert len(small["appealSupervisions"]["nodes"]) == 2
    assert len(large["appealSupervisions"]["nodes"]) == 6
    assert data_statements(many) == data_statements(few), many.texts
