"""The insight aggregates of appeals (appeal_stat, appeal_term_stat, appeal_term): written by
the appeal repository in the transaction of every change they count (a filing, a status
move, a reply, a rating), read by insights, rebuilt from the rows by `rebuild`.

Each change adds to one row per (China day of filing, district, leaf category) in a single
upsert, so it commits or rolls back with the change; rows of different days and places
never wait for each other."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

from tortoise import connections
from tortoise.functions import Sum
from tortoise.transactions import in_transaction

from storage.models.appeals import (
    Appeal,
    AppealStat,
    AppealStatus,
    AppealTerm,
    AppealTermStat,
    Satisfaction,
)

CHINA = timezone(timedelta(hours=8))
# Statuses of appeals that never reached the platform: left out of every figure.
OUTSIDE = frozenset({AppealStatus.HELD, AppealStatus.REJECTED})
OPEN = frozenset(
    {AppealStatus.SUBMITTED, AppealStatus.DISPATCHED, AppealStatus.SIGNED, AppealStatus.RETURNED}
)
REPLIED = frozenset({AppealStatus.REPLIED, AppealStatus.CLOSED})
RATED_COLUMNS = {level: f"rated_{level.value.lower()}" for level in Satisfaction}
_COLUMNS = frozenset(
    {"appeals", "open", "replied", "merged", "replies", "replies_on_time", "reply_days"}
    | set(RATED_COLUMNS.values())
)


def day_of(moment: datetime) -> date:
    """The China date of a moment: the day an appeal is counted under."""
    return moment.astimezone(CHINA).date()


def status_columns(status: AppealStatus) -> dict[str, int]:
    """What one appeal in `status` adds to its row."""
    if status in OUTSIDE:
        return {}
    columns = {"appeals": 1}
    if status in OPEN:
        columns["open"] = 1
    elif status in REPLIED:
        columns["replied"] = 1
    elif status is AppealStatus.MERGED:
        columns["merged"] = 1
    return columns


def _postgres() -> bool:
    return bool(connections.get("default").capabilities.dialect == "postgres")


def _bind(value: Any, postgres: bool) -> Any:
    """SQLite keeps dates as ISO text and UUIDs as their text form (as Tortoise writes them)."""
    if postgres or not isinstance(value, (date, UUID)):
        return value
    return value.isoformat() if isinstance(value, date) else str(value)


async def _upsert(
    table: str,
    keys: Sequence[str],
    columns: Sequence[str],
    rows: Sequence[tuple[Sequence[Any], Mapping[str, int]]],
) -> None:
    """Adds each row's counts to the row with its key values (created with them if missing:
    every count column is written, the table has no defaults of its own)."""
    kept = [(key, counts) for key, counts in rows if any(counts.values())]
    if not kept:
        return
    names = sorted(columns)
    assert {name for _, counts in kept for name in counts} <= set(names)
    postgres = _postgres()
    values: list[Any] = []
    tuples = []
    width = len(keys) + len(names)
    for index, (key, counts) in enumerate(sorted(kept, key=lambda r: [str(k) for k in r[0]])):
        values += [_bind(k, postgres) for k in key] + [counts.get(n, 0) for n in names]
        marks = [f"${index * width + i + 1}" for i in range(width)] if postgres else ["?"] * width
        tuples.append(f"({', '.join(marks)})")
    listed = ", ".join([*keys, *names])
    updates = ", ".join(f"{n} = {table}.{n} + excluded.{n}" for n in names)
    sql = (
        f"INSERT INTO {table} ({listed}) VALUES {', '.join(tuples)} "  # noqa: S608 (our names)
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
    )
    await connections.get("default").execute_query(sql, values)


_CELL = ("day", "district_id", "category_id", "shard")
# Rows per cell: concurrent writes to one cell (a burst of filings about one burst water
# main) mostly land on different rows, so they do not wait for each other's commits.
SHARDS = 16
Cell = tuple[date, UUID, UUID, int]


async def _add(cell: Cell, counts: Mapping[str, int]) -> None:
    await _upsert("appeal_stat", _CELL, sorted(_COLUMNS), [(cell, counts)])


async def _add_terms(cell: Cell, digests: Sequence[str], delta: int) -> None:
    await _upsert(
        "appeal_term_stat",
        (*_CELL, "digest"),
        ["appeals"],
        [((*cell, digest), {"appeals": delta}) for digest in sorted(set(digests))],
    )


def _cell(appeal: Appeal | Mapping[str, Any]) -> Cell:
    names = ("id", "submitted_at", "district_id", "category_id")
    found: Mapping[str, Any] = (
        appeal if isinstance(appeal, Mapping) else {n: getattr(appeal, n) for n in names}
    )
    shard = UUID(str(found["id"])).int % SHARDS
    return (day_of(found["submitted_at"]), found["district_id"], found["category_id"], shard)


async def _facts(appeal_id: UUID) -> dict[str, Any]:
    rows = await Appeal.filter(id=appeal_id).values(
        "id", "submitted_at", "district_id", "category_id", "keyword_digests"
    )
    return dict(rows[0])


# -- maintained with the change (inside its transaction)


async def filed(appeal: Appeal) -> None:
    counts = status_columns(appeal.status)
    await _add(_cell(appeal), counts)
    if counts:
        await _add_terms(_cell(appeal), appeal.keyword_digests, 1)


async def moved(appeal_id: UUID, old: AppealStatus, new: AppealStatus) -> None:
    before, after = status_columns(old), status_columns(new)
    delta = {n: after.get(n, 0) - before.get(n, 0) for n in before.keys() | after.keys()}
    if not any(delta.values()):
        return
    facts = await _facts(appeal_id)
    await _add(_cell(facts), delta)
    if delta.get("appeals"):
        await _add_terms(_cell(facts), facts["keyword_digests"], delta["appeals"])


async def replied(appeal_id: UUID, *, on_time: bool, working_days: int) -> None:
    counts = {"replies": 1, "replies_on_time": int(on_time), "reply_days": working_days}
    await _add(_cell(await _facts(appeal_id)), counts)


async def rated(appeal_id: UUID, level: Satisfaction) -> None:
    await _add(_cell(await _facts(appeal_id)), {RATED_COLUMNS[level]: 1})


async def remember_terms(sealed_by_digest: Mapping[str, str]) -> None:
    """Keeps the sealed word of each digest not known yet (the hot topics open them)."""
    if not sealed_by_digest:
        return
    known = await known_digests(list(sealed_by_digest))
    missing = [
        AppealTerm(digest=digest, word_sealed=sealed)
        for digest, sealed in sorted(sealed_by_digest.items())
        if digest not in known
    ]
    if missing:
        await AppealTerm.bulk_create(missing, ignore_conflicts=True)


# -- reads


def _scope(
    query: Any,
    *,
    first: date,
    last: date,
    district_ids: Sequence[UUID] | None,
    category_ids: Sequence[UUID] | None,
) -> Any:
    query = query.filter(day__gte=first, day__lte=last)
    if district_ids is not None:
        query = query.filter(district_id__in=list(district_ids))
    if category_ids is not None:
        query = query.filter(category_id__in=list(category_ids))
    return query


async def cells(
    *,
    first: date,
    last: date,
    district_ids: Sequence[UUID] | None,
    category_ids: Sequence[UUID] | None,
) -> list[dict[str, Any]]:
    """The rows of China days [first, last] in scope, with every count."""
    query = _scope(
        AppealStat.all(),
        first=first,
        last=last,
        district_ids=district_ids,
        category_ids=category_ids,
    )
    return list(await query.values("day", "district_id", "category_id", *sorted(_COLUMNS)))


async def term_counts(
    *,
    first: date,
    last: date,
    district_ids: Sequence[UUID] | None,
    category_ids: Sequence[UUID] | None,
) -> list[tuple[str, UUID, int]]:
    """(digest, district, appeals) summed over the days and categories in scope."""
    query = _scope(
        AppealTermStat.all(),
        first=first,
        last=last,
        district_ids=district_ids,
        category_ids=category_ids,
    )
    rows = (
        await query.annotate(n=Sum("appeals"))
        .group_by("digest", "district_id")
        .values("digest", "district_id", "n")
    )
    return [(r["digest"], UUID(str(r["district_id"])), int(r["n"] or 0)) for r in rows]


async def sealed_terms(digests: Sequence[str]) -> dict[str, str]:
    rows = await AppealTerm.filter(digest__in=list(digests)).values_list("digest", "word_sealed")
    return {str(digest): str(sealed) for digest, sealed in rows}


# -- rebuilt from the rows (after the tables are added, or to repair them): all in shard 0,
# later writes of those appeals add to their own shard (only the sums have a meaning)

# The China day of filing, and the statuses left out (OUTSIDE), written out in SQL.
REBUILD_SQL = [
    "DELETE FROM appeal_stat",
    "DELETE FROM appeal_term_stat",
    """INSERT INTO appeal_stat (day, district_id, category_id, shard, appeals, open, replied,
        merged, replies, replies_on_time, reply_days, rated_satisfied,
        rated_basically_satisfied, rated_dissatisfied)
    SELECT day, district_id, category_id, 0, sum(appeals), sum(open), sum(replied), sum(merged),
        sum(replies), sum(on_time), sum(days), sum(satisfied), sum(basically), sum(dissatisfied)
    FROM (
        SELECT CAST((a.submitted_at AT TIME ZONE 'Asia/Shanghai') AS date) AS day,
            a.district_id, a.category_id,
            count(*) FILTER (WHERE a.status NOT IN ('HELD', 'REJECTED')) AS appeals,
            count(*) FILTER (WHERE a.status IN ('SUBMITTED', 'DISPATCHED', 'SIGNED', 'RETURNED'))
                AS open,
            count(*) FILTER (WHERE a.status IN ('REPLIED', 'CLOSED')) AS replied,
            count(*) FILTER (WHERE a.status = 'MERGED') AS merged,
            0 AS replies, 0 AS on_time, 0 AS days, 0 AS satisfied, 0 AS basically,
            0 AS dissatisfied
        FROM appeal a GROUP BY 1, 2, 3
        UNION ALL
        SELECT CAST((a.submitted_at AT TIME ZONE 'Asia/Shanghai') AS date),
            a.district_id, a.category_id, 0, 0, 0, 0, count(*),
            count(*) FILTER (WHERE r.on_time), coalesce(sum(r.working_days), 0), 0, 0, 0
        FROM appeal_reply r JOIN appeal a ON a.id = r.appeal_id GROUP BY 1, 2, 3
        UNION ALL
        SELECT CAST((a.submitted_at AT TIME ZONE 'Asia/Shanghai') AS date),
            a.district_id, a.category_id, 0, 0, 0, 0, 0, 0, 0,
            count(*) FILTER (WHERE g.level = 'SATISFIED'),
            count(*) FILTER (WHERE g.level = 'BASICALLY_SATISFIED'),
            count(*) FILTER (WHERE g.level = 'DISSATISFIED')
        FROM appeal_rating g JOIN appeal a ON a.id = g.appeal_id GROUP BY 1, 2, 3
    ) parts
    GROUP BY day, district_id, category_id""",
    """INSERT INTO appeal_term_stat (day, district_id, category_id, shard, digest, appeals)
    SELECT CAST((a.submitted_at AT TIME ZONE 'Asia/Shanghai') AS date),
        a.district_id, a.category_id, 0, d.digest, count(*)
    FROM appeal a, jsonb_array_elements_text(a.keyword_digests::jsonb) AS d(digest)
    WHERE a.status NOT IN ('HELD', 'REJECTED')
    GROUP BY 1, 2, 3, 5""",
]


async def rebuild() -> None:
    """Recounts every aggregate from the appeal rows (PostgreSQL), in one transaction: the
    figures are never half rebuilt. Writes meanwhile wait for it."""
    if not _postgres():
        raise NotImplementedError("the aggregates are rebuilt on PostgreSQL only")
    async with in_transaction() as connection:
        await connection.execute_query("LOCK TABLE appeal_stat, appeal_term_stat IN EXCLUSIVE MODE")
        for statement in REBUILD_SQL:
            await connection.execute_query(statement)


async def appeals_by_id(after: UUID | None, limit: int) -> list[dict[str, Any]]:
    """Appeals' keywords by id (keyset from `after`): the back-fill learns their words."""
    query = Appeal.all()
    if after is not None:
        query = query.filter(id__gt=after)
    return list(
        await query.order_by("id").limit(limit).values("id", "keyword_digests", "keywords_sealed")
    )


async def all_digests() -> set[str]:
    return {str(d) for d in await AppealTerm.all().values_list("digest", flat=True)}


async def known_digests(digests: Sequence[str]) -> set[str]:
    rows = await AppealTerm.filter(digest__in=list(digests)).values_list("digest", flat=True)
    return {str(d) for d in rows}
