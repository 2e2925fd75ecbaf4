"""The working-day calendar: one row per date, seeded from chinesecalendar, edited by ADMIN."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class CalendarSource(StrEnum):
    CHINESECALENDAR = "chinesecalendar"  # the State Council's published schedule
    ADMIN = "admin"  # a day an ADMIN set by hand; never overwritten by a load
    OFFICIAL = "official"  # a published year loaded from a file (`rongban calendar load`)
    # A year not published yet: weekends and the statutory holidays the law fixes, without the
    # year's 调休. Replaced as soon as the official year is loaded.
    PROVISIONAL = "provisional"


class CalendarDay(Model):
    """Whether a date (China time) is a working day. Weekends are rest days unless they are
    调休 workdays; statutory holidays are rest days. A date without a row is unknown."""

    day = fields.DateField(primary_key=True)
    is_workday = fields.BooleanField()
    note = fields.CharField(max_length=64, default="")
    source = fields.CharEnumField(CalendarSource, max_length=16)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "calendar_day"
