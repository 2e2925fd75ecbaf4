"""Working-day arithmetic on the calendar table: every 时限 counts working days, in China time.

The table holds the published years (from chinesecalendar, or loaded with `rongban calendar
load`), ADMIN's edits, and, for the next years the State Council has not published yet,
*provisional* rows: weekends and the statutory holidays the law fixes (calendar/statutory.py),
without the year's 调休. A deadline counted over a provisional day is marked provisional and
counted again when the official year is loaded. A date the table has no row for is unknown:
arithmetic that reaches one says so (`BeyondCalendar`) instead of guessing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

from resolvers.calendar import statutory
from storage.models.calendar import CalendarDay, CalendarSource
from storage.repositories import calendar as repo
from storage.repositories import outbox as outbox_repo
from storage.transactions import atomic

log = logging.getLogger(__name__)

CHINA = timezone(timedelta(hours=8), "CST")
# The table starts here: earlier years matter to no open case.
FIRST_SEEDED_YEAR = 2024
# How far one look-up reads ahead: more than a year of working days.
_WINDOW_DAYS = 800
# Provisional years kept ahead of the last published one.
PROVISIONAL_YEARS = 2


class BeyondCalendar(Exception):
    """The answer lies past the last date the calendar knows."""


def china_date(moment: datetime) -> date:
    return moment.astimezone(CHINA).date()


@dataclass(frozen=True, slots=True)
class Deadline:
    """A due date, or None with `beyond_calendar` when the calendar does not reach it;
    `provisional` when it was counted over a year not published yet."""

    due: date | None
    beyond_calendar: bool
    provisional: bool = False

    def columns(self, field: str) -> dict[str, object]:
        """The stored form: the date in `field` and its two flags."""
        return {
            field: self.due,
            "due_beyond_calendar": self.beyond_calendar,
            "due_provisional": self.provisional,
        }


async def add_working_days(start: date, days: int) -> date:
    """The date on which the `days`-th working day after `start` ends (`start` itself does not
    count: a case accepted on Friday with 1 day is due Monday). 0 days: `start`."""
    return (await _add_working_days(start, days))[0]


class _Days:
    """The calendar after `start`, read in chunks as counts walk past what was read: the
    deadlines counted from one day share their reads."""

    def __init__(self, start: date, chunk: int) -> None:
        self.start = start
        self.chunk = chunk
        self.read_until = start
        self.known: dict[date, tuple[bool, bool]] = {}

    async def day(self, day: date) -> tuple[bool, bool]:
        """Whether `day` is a working day, and whether that is provisional."""
        if day > self.read_until:
            if (day - self.start).days > _WINDOW_DAYS:
                raise BeyondCalendar(day.isoformat())
            self.read_until = min(
                day + timedelta(days=self.chunk - 1), self.start + timedelta(days=_WINDOW_DAYS)
            )
            self.known.update(await repo.days_between(day, self.read_until))
        found = self.known.get(day)
        if found is None:
            raise BeyondCalendar(day.isoformat())
        return found


def _chunk(days: int) -> int:
    # Two calendar days per working day covers Golden Week and Spring Festival: a
    # submission's few working days cost a few dozen rows, not the whole window.
    return min(_WINDOW_DAYS, 2 * days + 21)


async def _add_working_days(
    start: date, days: int, calendar: _Days | None = None
) -> tuple[date, bool]:
    """add_working_days, and whether a provisional day was counted on the way."""
    if days < 0:
        raise ValueError("days must not be negative")
    if days == 0:
        return start, False
    if calendar is None:
        calendar = _Days(start, _chunk(days))
    counted = 0
    provisional = False
    day = start
    while True:
        day += timedelta(days=1)
        workday, guessed = await calendar.day(day)
        provisional = provisional or guessed
        if workday:
            counted += 1
            if counted == days:
                return day, provisional


async def deadline(start: date, days: int) -> Deadline:
    return (await deadlines(start, [days]))[0]


async def deadlines(start: date, counts: Sequence[int]) -> list[Deadline]:
    """`deadline` for several counts of working days from the same day, the calendar read
    once for the longest."""
    calendar = _Days(start, _chunk(max(counts, default=0)))
    found = []
    for days in counts:
        try:
            due, provisional = await _add_working_days(start, days, calendar)
        except BeyondCalendar:
            found.append(Deadline(None, beyond_calendar=True))
        else:
            found.append(Deadline(due, beyond_calendar=False, provisional=provisional))
    return found


async def working_days_between(after: date, until: date) -> int:
    """Working days in (after, until]: 0 when `until` is not later. Unknown dates count as
    rest days (the count is used for time already spent, where the calendar is known)."""
    if until <= after:
        return 0
    known = await repo.days_between(after + timedelta(days=1), until)
    return sum(1 for workday, _ in known.values() if workday)


# -- seeding from chinesecalendar


async def seed_from_chinesecalendar(first_year: int = FIRST_SEEDED_YEAR) -> int:
    """Adds a row for every date of the years chinesecalendar knows (holidays and 调休 workdays
    included) that the table lacks. Rows an ADMIN edited are never overwritten. Idempotent."""
    last_year = chinesecalendar_last_year()
    first = date(first_year, 1, 1)
    have = await repo.existing_between(first, date(last_year, 12, 31))
    rows = [
        CalendarDay(
            day=d.day, is_workday=d.is_workday, note=d.note, source=CalendarSource.CHINESECALENDAR
        )
        for d in chinesecalendar_days(first_year, last_year)
        if d.day not in have
    ]
    await repo.insert_many(rows)
    return len(rows) + await ensure_provisional(last_year + 1)


def chinesecalendar_last_year() -> int:
    """The last year the installed chinesecalendar has published."""
    import chinese_calendar  # the package only knows years already published

    return int(max(d.year for d in chinese_calendar.constants.holidays))


def chinesecalendar_days(first_year: int, last_year: int) -> list[OfficialDay]:
    """Every day of those years as chinesecalendar publishes them (holidays, 调休 workdays)."""
    import chinese_calendar

    names = {holiday.value: holiday.chinese for holiday in chinese_calendar.Holiday}
    days = []
    day, last = date(first_year, 1, 1), date(last_year, 12, 31)
    while day <= last:
        name = names.get(chinese_calendar.get_holiday_detail(day)[1], "")
        workday = bool(chinese_calendar.is_workday(day))
        days.append(OfficialDay(day, workday, _note(day, workday, name)))
        day += timedelta(days=1)
    return days


async def ensure_provisional(first_year: int, years: int = PROVISIONAL_YEARS) -> int:
    """Provisional rows for the years from `first_year` on that the table lacks entirely
    (a year with any row is left alone: it is published, loaded or already provisional)."""
    added = 0
    for year in range(first_year, first_year + years):
        first, last = date(year, 1, 1), date(year, 12, 31)
        if await repo.existing_between(first, last):
            continue
        off = statutory.rest_days(year)
        rows = []
        day = first
        while day <= last:
            workday = statutory.is_workday(day, off)
            rows.append(
                CalendarDay(
                    day=day,
                    is_workday=workday,
                    note=off.get(day, ""),
                    source=CalendarSource.PROVISIONAL,
                )
            )
            day += timedelta(days=1)
        await repo.insert_many(rows)
        added += len(rows)
    return added


@dataclass(frozen=True, slots=True)
class OfficialDay:
    day: date
    is_workday: bool
    note: str = ""


async def load_official(days: list[OfficialDay]) -> tuple[int, date | None]:
    """A published schedule (a whole year or more): replaces those dates' rows, provisional
    or not, except ADMIN's edits; returns how many rows were written and the first date
    written (deadlines from there on are to be counted again). Provisional years after it
    are kept ahead."""
    rows = [
        CalendarDay(day=d.day, is_workday=d.is_workday, note=d.note, source=CalendarSource.OFFICIAL)
        for d in sorted(days, key=lambda d: d.day)
    ]
    written = await repo.replace_days(rows, keep=CalendarSource.ADMIN)
    if rows:
        await ensure_provisional(rows[-1].day.year + 1)
    return written, rows[0].day if rows else None


def _note(day: date, workday: bool, name: str) -> str:
    if workday and day.weekday() >= 5:
        return f"调休上班{f'（{name}）' if name else ''}"
    if not workday and day.weekday() < 5:
        return name or "节假日"
    return ""


def today_in_china(now: datetime | None = None) -> date:
    return china_date(now or datetime.now(UTC))


async def last_known_day() -> date | None:
    """The last date of a published (or ADMIN-set) schedule; provisional years come after."""
    return (await repo.known_range(official=True))[1]


# The outbox message an ADMIN's edit writes: deadlines from the edited day on are counted
# again by the worker (resolvers/applications/deadlines.py handles it), not in the request.
CALENDAR_CHANGED = "calendar.changed"


async def set_day(day: date, *, is_workday: bool, note: str, now: datetime) -> CalendarDay:
    async with atomic():
        row = await repo.upsert(day, is_workday=is_workday, note=note, source=CalendarSource.ADMIN)
        await outbox_repo.enqueue(CALENDAR_CHANGED, "calendar", {"since": day.isoformat()}, now=now)
    return row
