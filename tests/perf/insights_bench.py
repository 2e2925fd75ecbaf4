"""`make bench-insights`: appealInsights for one month and one district over a generated
year of 12345 appeals (RONGBAN_BENCH_APPEALS, at least a million), served from the insight
aggregates.

The appeals are written by PostgreSQL itself (generate_series), spread over 2026, the
districts and the leaf categories, with replies and ratings; the aggregates are then
recounted from them as the migration does (timed: the back-fill of an existing database).
The query runs through `rongban serve` with the insight cache off, so every answer is
computed; the same figures counted from the rows are timed beside it."""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import date

import asyncpg
import httpx
import orjson
from tortoise import Tortoise

from api.cli import run_migrations
from api.resources import keyring_of
from api.seed import seed_demo
from resolvers.appeals import keywords
from resolvers.appeals.insights import Filter, compute_from_rows
from resolvers.appeals.transitions import SEALS
from resolvers.settings import Settings
from storage.database import tortoise_config
from storage.models.appeals import AppealTerm
from storage.repositories import appeal_stats
from tests.perf.bench import REDIS, SERVER, serve
from tests.processes import free_port

APPEALS = int(os.environ.get("RONGBAN_BENCH_APPEALS", "1000000"))
TARGET_SECONDS = 1.0
MONTH = Filter(start=date(2026, 7, 1), end=date(2026, 7, 31), region_code="510104")
RUNS = 5
VOCABULARY = [
    f"{a}{b}"
    for a in (
        "噪音",
        "停水",
        "占道",
        "漏水",
        "物业",
        "停车",
        "垃圾",
        "施工",
        "路灯",
        "井盖",
        "油烟",
        "欠薪",
        "学位",
        "医保",
        "公交",
    )
    for b in (
        "",
        "扰民",
        "投诉",
        "维修",
        "反映",
        "处理",
        "问题",
        "严重",
        "夜间",
        "长期",
        "小区",
        "街道",
        "商铺",
        "车辆",
        "管网",
        "门口",
        "楼下",
        "学校",
        "医院",
        "市场",
    )
]
QUERY = """query($filter: AppealInsightFilter) { appealInsights(filter: $filter) {
  total open replied merged hotTopics { keyword count } spikes { weekStart count }
  categoryTrends { code points { count } } timeliness { replies onTimeRate }
  satisfaction { rated satisfiedRate } } }"""
GENERATE = """
WITH cats AS (SELECT array_agg(id ORDER BY code) AS c FROM appeal_category
              WHERE parent_id IS NOT NULL),
     districts AS (SELECT array_agg(id ORDER BY code) AS d FROM region
                   WHERE level IN ('COUNTY', 'ZONE'))
INSERT INTO appeal (id, number, kind, category_id, region_id, district_id, channel,
    content_sealed, keywords_sealed, keyword_digests, reply_wanted, status, check_attempts,
    check_trace_id, round, due_beyond_calendar, extension_days, extension_reason,
    reopen_count, submitted_at, updated_at)
SELECT gen_random_uuid(), 'SB' || lpad(i::text, 10, '0'), 'COMPLAINT',
    c[(1 + (i * 7919) % cardinality(c))::int], d[(1 + (i * 104729) % cardinality(d))::int],
    d[(1 + (i * 104729) % cardinality(d))::int], 'MOBILE_APP', $2, $3,
    jsonb_build_array(w[(1 + i % 75)::int], w[(76 + (i / 7) % 75)::int],
                      w[(151 + (i / 13) % 75)::int], w[(226 + (i / 29) % 75)::int]),
    true,
    CASE WHEN i % 10 < 6 THEN 'CLOSED' WHEN i % 10 < 8 THEN 'REPLIED'
         WHEN i % 10 < 9 THEN 'DISPATCHED' ELSE 'SIGNED' END,
    0, '', 1, false, 0, '', 0,
    timestamptz '2026-01-01 00:00+08' + (i::float8 / $1) * interval '365 days', now()
FROM generate_series(1::bigint, $1::bigint) AS i, cats, districts, (SELECT $4::text[] AS w) words
"""
REPLIES = """
INSERT INTO appeal_reply (id, appeal_id, round, department_id, author_id, body_sealed,
    on_time, working_days, created_at)
SELECT gen_random_uuid(), a.id, 1, (SELECT id FROM department ORDER BY code LIMIT 1),
    gen_random_uuid(), $1, hashtext(a.number) % 5 <> 0, 1 + abs(hashtext(a.number)) % 6,
    a.submitted_at + interval '3 days'
FROM appeal a WHERE a.status IN ('REPLIED', 'CLOSED') AND a.number LIKE 'SB%'
"""
RATINGS = """
INSERT INTO appeal_rating (id, appeal_id, round, level, created_at)
SELECT gen_random_uuid(), a.id, 1,
    (ARRAY['SATISFIED', 'SATISFIED', 'BASICALLY_SATISFIED', 'DISSATISFIED'])
        [1 + abs(hashtext(a.number || 'r')) % 4],
    a.submitted_at + interval '4 days'
FROM appeal a WHERE a.status = 'CLOSED' AND a.number LIKE 'SB%'
"""


def _dsn(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


async def prepare() -> tuple[str, Settings, dict[str, float]]:
    name = "rongban_bench_insights"
    admin = await asyncpg.connect(_dsn(SERVER))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = f"{SERVER.rsplit('/', 1)[0]}/{name}"
    await run_migrations(url)
    settings = Settings(database_url=url, redis_url=REDIS, demo_password="bench-password-0")
    keyring = keyring_of(settings)
    timings: dict[str, float] = {}
    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
    try:
        await seed_demo(settings)
        # The vocabulary's words, sealed, as filings leave them for the hot topics.
        digests = [keywords.digest(keyring, word) for word in VOCABULARY]
        await AppealTerm.bulk_create(
            [
                AppealTerm(digest=d, word_sealed=keyring.seal(w, context=SEALS["term"]))
                for d, w in zip(digests, VOCABULARY, strict=True)
            ],
            ignore_conflicts=True,
        )
        connection = await asyncpg.connect(_dsn(url))
        try:
            started = time.monotonic()
            content = keyring.seal("（合成诉求）", context=SEALS["content"])
            words = keyring.seal(orjson.dumps(VOCABULARY[:4]).decode(), context=SEALS["keywords"])
            await connection.execute(GENERATE, APPEALS, content, words, digests)
            await connection.execute(REPLIES, keyring.seal("（合成答复）", context=SEALS["reply"]))
            await connection.execute(RATINGS)
            await connection.execute("ANALYZE")
            timings["generate_s"] = time.monotonic() - started
            counted = await connection.fetchval("SELECT count(*) FROM appeal")
            timings["appeals"] = float(counted)
        finally:
            await connection.close()
        started = time.monotonic()
        await appeal_stats.rebuild()
        timings["backfill_s"] = time.monotonic() - started
    finally:
        await Tortoise.close_connections()
    return url, settings, timings


async def row_scan_seconds(url: str, settings: Settings) -> float:
    """The same month and district counted from the appeal rows, in process."""
    from api.resources import open_resources

    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
    try:
        async with open_resources(settings) as resources:
            started = time.monotonic()
            await compute_from_rows(resources, MONTH)
            return time.monotonic() - started
    finally:
        await Tortoise.close_connections()


def main() -> None:
    if APPEALS < 1_000_000 and "--small" not in sys.argv:
        raise SystemExit("the benchmark needs at least a million appeals (or pass --small)")
    url, settings, timings = asyncio.run(prepare())
    print(
        f"generated {timings['appeals']:,.0f} appeals in {timings['generate_s']:.1f} s; "
        f"aggregates back-filled in {timings['backfill_s']:.1f} s",
        flush=True,
    )
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RONGBAN_")} | {
        "RONGBAN_DATABASE_URL": url,
        "RONGBAN_REDIS_URL": REDIS,
        "RONGBAN_PORT": str(port),
        "RONGBAN_DEMO_PASSWORD": "bench-password-0",
        "RONGBAN_LOG_LEVEL": "WARNING",
        "RONGBAN_APPEAL_INSIGHT_CACHE_SECONDS": "0",
        "RONGBAN_STORAGE_URL": f"file://{tempfile.mkdtemp(prefix='rongban-bench-')}",
    }
    server = serve(["api.cli", "serve"], env, port)
    try:
        graphql = f"http://127.0.0.1:{port}/graphql"
        login = httpx.post(
            graphql,
            json={
                "query": 'mutation { loginStaff(input: {username: "officer-11510100404435553D", '
                'password: "bench-password-0"}) { ... on Session { token } } }'
            },
        ).json()
        token = login["data"]["loginStaff"]["token"]
        variables = {
            "filter": {
                "start": MONTH.start.isoformat(),
                "end": MONTH.end.isoformat(),
                "regionCode": MONTH.region_code,
            }
        }
        seconds = []
        total = None
        for _ in range(RUNS + 1):  # the first warms the connections
            started = time.monotonic()
            answer = httpx.post(
                graphql,
                json={"query": QUERY, "variables": variables},
                headers={"Authorization": f"Bearer {token}"},
                timeout=120,
            ).json()
            seconds.append(time.monotonic() - started)
            assert "errors" not in answer, answer
            total = answer["data"]["appealInsights"]["total"]
    finally:
        server.terminate()
        server.wait(timeout=20)
    median = statistics.median(seconds[1:])
    scan = asyncio.run(row_scan_seconds(url, settings))
    verdict = "OK" if median <= TARGET_SECONDS else "OVER TARGET"
    print(
        f"appealInsights, {MONTH.start:%Y-%m} in {MONTH.region_code} ({total:,} appeals), "
        f"from the aggregates: median {median * 1000:.0f} ms of {RUNS} "
        f"(max {max(seconds[1:]) * 1000:.0f} ms), target <= {TARGET_SECONDS * 1000:.0f} ms: "
        f"{verdict}; counted from the rows: {scan * 1000:.0f} ms",
        flush=True,
    )


if __name__ == "__main__":
    main()
