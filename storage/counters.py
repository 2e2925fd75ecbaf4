"""Daily number counters (applications, appeals): one statement that adds to the day's row
and returns the new total.

Run outside the caller's transaction it commits at once, so the day's row is locked for the
length of that one statement, never for a whole submission: concurrent submissions do not
queue behind each other's commits. A submission that fails after taking its number leaves a
gap, as a database sequence would; numbers are never given twice.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from tortoise import connections

Counter = Literal["application_counter", "appeal_counter"]


def _upsert(table: str, first: str, second: str) -> str:
    return (
        f"INSERT INTO {table} (day, issued) VALUES ({first}, {second}) "  # noqa: S608 (names are ours)
        f"ON CONFLICT (day) DO UPDATE SET issued = {table}.issued + excluded.issued "
        "RETURNING issued"
    )


# (PostgreSQL, SQLite) statements of each counter table: fixed text, values bound.
_STATEMENTS = {
    table: (_upsert(table, "$1", "$2"), _upsert(table, "?", "?"))
    for table in ("application_counter", "appeal_counter")
}


async def reserve(table: Counter, day: date, count: int = 1) -> int:
    """The first of `count` consecutive numbers of `day`, reserved for the caller."""
    assert count >= 1
    client = connections.get("default")
    postgres, sqlite = _STATEMENTS[table]
    sql = postgres if client.capabilities.dialect == "postgres" else sqlite
    value = day if sql is postgres else day.isoformat()  # SQLite keeps dates as ISO text
    rows = await client.execute_query_dict(sql, [value, count])
    return int(rows[0]["issued"]) - count + 1
