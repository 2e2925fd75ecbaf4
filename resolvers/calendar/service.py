"""The working-day calendar as other domains use it: China dates and deadlines counted in
working days (what `workdays` computes from the calendar table)."""

from __future__ import annotations

from datetime import date

from resolvers.calendar.workdays import (
    CALENDAR_CHANGED,
    CHINA,
    BeyondCalendar,
    Deadline,
    add_working_days,
    china_date,
    deadline,
    deadlines,
    today_in_china,
    working_days_between,
)
from storage.models.calendar import CalendarDay
from storage.repositories import calendar as repo

__all__ = [
    "CALENDAR_CHANGED",
    "CHINA",
    "BeyondCalendar",
    "Deadline",
    "add_working_days",
    "china_date",
    "days",
    "deadline",
    "deadlines",
    "today_in_china",
    "working_days_between",
]


async def days(start: date, end: date) -> list[CalendarDay]:
    """The calendar's days from `start` to `end`, both included, in order; days the table does
    not hold are left out."""
    return await repo.in_range(start, end)
