"""The working-day calendar as other domains use it: China dates and deadlines counted in
working days (what `workdays` computes from the calendar table)."""

from __future__ import annotations

from resolvers.calendar.workdays import (
    CALENDAR_CHANGED,
    CHINA,
    BeyondCalendar,
    Deadline,
    add_working_days,
    china_date,
    deadline,
    today_in_china,
    working_days_between,
)

__all__ = [
    "CALENDAR_CHANGED",
    "CHINA",
    "BeyondCalendar",
    "Deadline",
    "add_working_days",
    "china_date",
    "deadline",
    "today_in_china",
    "working_days_between",
]
