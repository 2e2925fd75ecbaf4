"""Working-day arithmetic on the calendar table: every 时限 counts working days, in China time.

A date the table has no row for is *unknown*: arithmetic that reaches one says so
(`BeyondCalendar`) instead of guessing from weekdays, because 调休 is only known once the State
Council publishes the year's schedule.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

from storage.models.calendar import CalendarDay, CalendarSource
from storage.repositories import calendar as repo

log = logging.getLogger(__name__)

CHINA = timezone(timedelta(hours=8), "CST")
# The table starts here: earlier years matter to no open case.
FIRST_SEEDED_YEAR = 2024
# How far one look-up reads ahead: more than a year of working days.
_WINDOW_DAYS = 800


class BeyondCalendar(Exception):
    """The answer lies past the last date the calendar knows."""


def china_date(moment: datetime) -> date:
    return moment.astimezone(CHINA).date()


@dataclass(frozen=True, slots=True)
class Deadline:
    """A due date, or None with `beyond_calendar` when the calendar does not reach it."""

    due: date | None
    beyond_calendar: bool


async def add_working_days(start: date, days: int) -> date:
    """The date on which the `days`-th working day after `start` ends (`start` itself does not
    count: a case accepted on Friday with 1 day is due Monday). 0 days: `start`."""
    if days < 0:
        raise ValueError("days must not be negative")
    if days == 0:
        return start
    known = await repo.days_between(start + timedelta(days=1), start + timedelta(days=_WINDOW_DAYS))
    counted = 0
    day = start
    while True:
        day += timedelta(days=1)
        workday = known.get(day)
        if workday is None:
            raise BeyondCalendar(day.isoformat())
        if workday:
            counted += 1
            if counted == days:
                return day


async def deadline(start: date, days: int) -> Deadline:
    try:
        return Deadline(await add_working_days(start, days), beyond_calendar=False)
    except BeyondCalendar:
        return Deadline(None, beyond_calendar=True)


async def working_days_between(after: date, until: date) -> int:
    """Working days in (after, until]: 0 when `until` is not later. Unknown dates count as
    rest days (the count is used for time already spent, where the calendar is known)."""
    if until <= after:
        return 0
    known = await repo.days_between(after + timedelta(days=1), until)
    return sum(1 for workday in known.values() if workday)


# -- seeding from chinesecalendar


async def seed_from_chinesecalendar(first_year: int = FIRST_SEEDED_YEAR) -> int:
    """Adds a row for every date of the years chinesecalendar knows (holidays and 调休 workdays
    included) that the table lacks. Rows an ADMIN edited are never overwritten. Idempotent."""
    import chinese_calendar  # the package only knows years already published

    last_year = max(d.year for d in chinese_calendar.constants.holidays)
    first = date(first_year, 1, 1)
    last = date(last_year, 12, 31)
    have = await repo.existing_between(first, last)
    names = {holiday.value: holiday.chinese for holiday in chinese_calendar.Holiday}
    rows = []
    day = first
    while day <= last:
        if day not in have:
            name = names.get(chinese_calendar.get_holiday_detail(day)[1], "")
            workday = bool(chinese_calendar.is_workday(day))
            note = _note(day, workday, name)
            rows.append(
                CalendarDay(
                    day=day,
                    is_workday=workday,
                    note=note,
                    source=CalendarSource.CHINESECALENDAR,
                )
            )
        day += timedelta(days=1)
    await repo.insert_many(rows)
    return len(rows)


def _note(day: date, workday: bool, name: str) -> str:
    if workday and day.weekday() >= 5:
        return f"调休上班{f'（{name}）' if name else ''}"
    if not workday and day.weekday() < 5:
        return name or "节假日"
    return ""


def today_in_china(now: datetime | None = None) -> date:
    return china_date(now or datetime.now(UTC))


async def last_known_day() -> date | None:
    return (await repo.known_range())[1]


async def set_day(day: date, *, is_workday: bool, note: str) -> CalendarDay:
    return await repo.upsert(day, is_workday=is_workday, note=note, source=CalendarSource.ADMIN)
