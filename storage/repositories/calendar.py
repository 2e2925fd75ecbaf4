"""Queries on the working-day calendar (the only place they are written)."""

from __future__ import annotations

from datetime import date
from typing import Any

from tortoise.functions import Max, Min

from storage.models.calendar import CalendarDay, CalendarSource


async def days_between(first: date, last: date) -> dict[date, bool]:
    """is_workday for every known date in [first, last]."""
    rows = await CalendarDay.filter(day__gte=first, day__lte=last).values_list("day", "is_workday")
    return {day: bool(workday) for day, workday in rows}


async def known_range() -> tuple[date | None, date | None]:
    rows = await CalendarDay.annotate(first=Min("day"), last=Max("day")).values("first", "last")
    if not rows:
        return None, None
    return rows[0]["first"], rows[0]["last"]


async def existing_between(first: date, last: date) -> set[date]:
    rows: list[Any] = await CalendarDay.filter(day__gte=first, day__lte=last).values_list(
        "day", flat=True
    )
    return {row for row in rows if isinstance(row, date)}


async def insert_many(rows: list[CalendarDay]) -> None:
    await CalendarDay.bulk_create(rows, batch_size=500)


async def upsert(day: date, *, is_workday: bool, note: str, source: CalendarSource) -> CalendarDay:
    row = await CalendarDay.get_or_none(day=day)
    if row is None:
        return await CalendarDay.create(day=day, is_workday=is_workday, note=note, source=source)
    row.is_workday = is_workday
    row.note = note
    row.source = source
    await row.save(update_fields=["is_workday", "note", "source", "updated_at"])
    return row


async def in_range(first: date, last: date) -> list[CalendarDay]:
    return await CalendarDay.filter(day__gte=first, day__lte=last).order_by("day")
