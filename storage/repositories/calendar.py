"""Queries on the working-day calendar (the only place they are written)."""

from __future__ import annotations

from datetime import date
from typing import Any

from tortoise import connections
from tortoise.functions import Max, Min

from storage.database import hot_statement
from storage.models.calendar import CalendarDay, CalendarSource

# Every deadline counted reads a window of days (a few dozen rows, a year for the longest):
# one prepared statement, its rows read as they come rather than through the ORM's fields.
_DAYS_BETWEEN = hot_statement(
    "SELECT day, is_workday, source = $3 AS provisional FROM calendar_day "
    "WHERE day >= $1 AND day <= $2",
    date(2000, 1, 1),
    date(2000, 1, 1),
    CalendarSource.PROVISIONAL.value,
)


async def days_between(first: date, last: date) -> dict[date, tuple[bool, bool]]:
    """(is_workday, provisional) for every known date in [first, last]."""
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        _, records = await connection.execute_query(
            _DAYS_BETWEEN, [first, last, CalendarSource.PROVISIONAL.value]
        )
        return {day: (workday, provisional) for day, workday, provisional in records}
    rows = await CalendarDay.filter(day__gte=first, day__lte=last).values_list(
        "day", "is_workday", "source"
    )
    return {
        day: (bool(workday), source == CalendarSource.PROVISIONAL) for day, workday, source in rows
    }


async def known_range(*, official: bool = False) -> tuple[date | None, date | None]:
    """The first and last date with a row (with `official`, leaving provisional years out)."""
    query = CalendarDay.all()
    if official:
        query = query.exclude(source=CalendarSource.PROVISIONAL)
    rows = await query.annotate(first=Min("day"), last=Max("day")).values("first", "last")
    if not rows:
        return None, None
    return rows[0]["first"], rows[0]["last"]


async def replace_days(rows: list[CalendarDay], *, keep: CalendarSource) -> int:
    """Writes `rows`, replacing what the table holds for their dates except rows of source
    `keep` (an ADMIN's hand edits survive a load); how many were written."""
    if not rows:
        return 0
    kept = set(
        await CalendarDay.filter(day__in=[r.day for r in rows], source=keep).values_list(
            "day", flat=True
        )
    )
    fresh = [r for r in rows if r.day not in kept]
    await CalendarDay.filter(day__in=[r.day for r in fresh]).delete()
    await CalendarDay.bulk_create(fresh, batch_size=500)
    return len(fresh)


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
