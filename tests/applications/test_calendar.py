"""The working-day calendar: reading it, and ADMIN correcting a day."""

from __future__ import annotations

from datetime import date

from resolvers.calendar.workdays import add_working_days, deadline, deadlines
from tests.catalogue.editing import officer_of, staff_token
from tests.conftest import RunningApp
from tests.sql import count_statements

RANGE = """query($start: Date!, $end: Date!) {
  calendar(start: $start, end: $end) { day isWorkday note source }
}"""
SET = """mutation($input: SetCalendarDayInput!) {
  setCalendarDay(input: $input) { __typename ... on CalendarDay { day isWorkday note source }
    ... on SetCalendarDayError { code field } }
}"""


async def test_the_2026_spring_festival_and_its_adjusted_workdays(seeded: RunningApp) -> None:
    days = (await seeded.gql.data(RANGE, {"start": "2026-02-14", "end": "2026-02-28"}))["calendar"]
    by_day = {d["day"]: d for d in days}

    assert by_day["2026-02-17"]["isWorkday"] is False  # 春节 (the first day of the year)
    assert by_day["2026-02-14"]["isWorkday"] is True  # a Saturday worked instead (调休)
    assert by_day["2026-02-28"]["isWorkday"] is True
    assert {d["source"] for d in days} == {"CHINESECALENDAR"}


async def test_deadlines_from_one_day_are_counted_on_one_read(seeded: RunningApp) -> None:
    # A dispatch's three 时限 (sign, reply, 退单) from the day before the 2026 Spring Festival;
    # 0 days is the day itself, and a count past the calendar's end says so.
    start, counts = date(2026, 2, 13), [1, 15, 0, 3, 600]
    one_by_one = [await deadline(start, days) for days in counts]

    with count_statements() as counted:
        together = await deadlines(start, counts)

    assert together == one_by_one
    assert together[0].due == date(2026, 2, 14)  # the Saturday worked instead (调休)
    assert together[2].due == start
    assert together[4].beyond_calendar
    assert together[4].due is None
    # The window for the longest count, read once: not once per count.
    assert counted.count == 1


async def test_the_calendar_says_how_far_it_knows(seeded: RunningApp) -> None:
    known = (await seeded.gql.data("{ calendarKnownUntil }"))["calendarKnownUntil"]

    assert known == "2026-12-31"


async def test_long_ranges_are_refused(seeded: RunningApp) -> None:
    response = await seeded.gql(RANGE, {"start": "2026-01-01", "end": "2027-06-30"})

    assert response.error_codes == ["BAD_USER_INPUT"]


async def test_an_admin_corrects_a_day_and_deadlines_follow_it(seeded: RunningApp) -> None:
    admin = await staff_token(seeded, "demo-admin")
    before = await add_working_days(date(2026, 3, 6), 1)  # a Friday: next Monday

    changed = (
        await seeded.gql.data(
            SET,
            {"input": {"day": "2026-03-09", "isWorkday": False, "note": "  临时停电  "}},
            token=admin,
        )
    )["setCalendarDay"]
    after = await add_working_days(date(2026, 3, 6), 1)

    assert changed == {
        "__typename": "CalendarDay",
        "day": "2026-03-09",
        "isWorkday": False,
        "note": "临时停电",
        "source": "ADMIN",
    }
    assert (before, after) == (date(2026, 3, 9), date(2026, 3, 10))


async def test_only_admins_change_the_calendar(seeded: RunningApp) -> None:
    officer, _ = await officer_of(seeded, "锦江区行政审批局")

    response = await seeded.gql(
        SET, {"input": {"day": "2026-03-09", "isWorkday": False}}, token=officer
    )
    anonymous = await seeded.gql(SET, {"input": {"day": "2026-03-09", "isWorkday": False}})

    # Refusals are the mutation's own error, like every other expected error.
    assert response.data["setCalendarDay"] == {
        "__typename": "SetCalendarDayError",
        "code": "FORBIDDEN",
        "field": None,
    }
    assert anonymous.data["setCalendarDay"]["code"] == "UNAUTHENTICATED"
    days = (await seeded.gql.data(RANGE, {"start": "2026-03-09", "end": "2026-03-09"}))["calendar"]
    assert days[0]["isWorkday"] is True


async def test_overlong_notes_are_refused(seeded: RunningApp) -> None:
    admin = await staff_token(seeded, "demo-admin")

    result = (
        await seeded.gql.data(
            SET,
            {"input": {"day": "2026-03-09", "isWorkday": False, "note": "很" * 100}},
            token=admin,
        )
    )["setCalendarDay"]

    assert result == {"__typename": "SetCalendarDayError", "code": "INVALID_INPUT", "field": "note"}
