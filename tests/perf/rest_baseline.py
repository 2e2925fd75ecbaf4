"""What `make bench` measures the GraphQL API against, served by uvicorn in the same run.

`create_baseline`: the catalogue reads as a good team would write them over REST. asyncpg
directly, one SQL round trip per request, PostgreSQL building the JSON (json_agg), the same
indexes the app has. The same answers as the GraphQL operations the bench sends: a catalogue
page, a guide by code, a keyword search and a signed-in guide (the bearer token checked in the
same round trip as the guide is read).

`create_bare`: Starlette answering a constant JSON body of a page's size, with no database:
the most this machine's Python, uvicorn and wrk can do, the ceiling every scenario is
compared with.

Search: the app keeps an in-memory index (jieba and pypinyin); the fair REST equivalent is a
table of each published guide's words, their full pinyin and initials with what its card
shows, GIN-indexed and queried by exact term (`terms @> ARRAY[$1]`). `build_search_table`
fills it once before the run (a real team would keep it up to date on publish); it is the
baseline's own table (`rest_search`), never read by the app.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.resources import keyring_of
from resolvers.settings import Settings

JSON = "application/json"
# Chengdu's date decides which guide versions are valid, as it does for the app.
CHINA = timedelta(hours=8)

_VISIBLE = """i.status = 'PUBLISHED'
    AND (i.valid_from IS NULL OR i.valid_from <= $1::date)
    AND (i.valid_until IS NULL OR i.valid_until >= $1::date)"""

PAGE_SQL = f"""
SELECT coalesce(json_agg(p), '[]')::text FROM (
  SELECT i.code, i.name, i.visits, i.online_depth AS "onlineDepth",
         json_build_object('name', d.name) AS department,
         json_build_object('name', g.name) AS region
  FROM implementation i
  JOIN department d ON d.id = i.department_id
  JOIN region g ON g.id = i.region_id
  WHERE {_VISIBLE}
    AND i.region_id IN (SELECT id FROM region WHERE code = $2
                        UNION ALL
                        SELECT parent_id FROM region WHERE code = $2 AND parent_id IS NOT NULL)
  ORDER BY i.name, i.code, i.id
  LIMIT $3) p"""

_GUIDE_FIELDS = """json_build_object(
    'code', i.code, 'name', i.name, 'legalBasis', i.legal_basis, 'conditions', i.conditions,
    'statutoryDays', i.statutory_days, 'promisedDays', i.promised_days,
    'fee', CASE WHEN i.fee = '' THEN '免费' ELSE i.fee END,
    'visits', i.visits, 'onlineDepth', i.online_depth, 'channels', i.channels,
    'address', i.address, 'hours', i.hours, 'phone', i.phone,
    'complaintPhone', i.complaint_phone, 'resultName', i.result_name,
    'steps', (SELECT coalesce(json_agg(json_build_object('name', s->>'name')), '[]')
              FROM jsonb_array_elements(i.steps::jsonb) s),
    'faqs', (SELECT coalesce(json_agg(json_build_object('question', f->>'question',
                                                        'answer', f->>'answer')), '[]')
             FROM jsonb_array_elements(i.faqs::jsonb) f),
    'materials', (SELECT coalesce(json_agg(json_build_object(
                      'name', m.name, 'necessity', m.necessity, 'source', m.source,
                      'documentKind', m.document_kind) ORDER BY m.position), '[]')
                  FROM material m WHERE m.implementation_id = i.id),
    'department', json_build_object('name', d.name),
    'region', json_build_object('name', g.name))"""

GUIDE_SQL = f"""
SELECT {_GUIDE_FIELDS}::text
FROM implementation i
JOIN department d ON d.id = i.department_id
JOIN region g ON g.id = i.region_id
WHERE {_VISIBLE} AND i.code = $2
ORDER BY i.version DESC
LIMIT 1"""

SIGNED_IN_GUIDE_SQL = f"""
WITH principal AS (
  SELECT a.id FROM auth_session s JOIN account a ON a.id = s.account_id
  WHERE s.access_hash = $3 AND s.access_expires_at > now() AND s.revoked_at IS NULL
    AND NOT a.disabled)
SELECT (SELECT id FROM principal)::text,
       (SELECT {_GUIDE_FIELDS}::text
        FROM implementation i
        JOIN department d ON d.id = i.department_id
        JOIN region g ON g.id = i.region_id
        WHERE {_VISIBLE} AND i.code = $2
        ORDER BY i.version DESC
        LIMIT 1)"""

# One card per base item, as the app answers a keyword: the city's implementation when there
# is one, else the best-ranked (shortest name, then code). The search table carries what the
# card shows, so that the GIN index answers alone.
SEARCH_SQL = """
SELECT coalesce(json_agg(json_build_object('code', c.code, 'name', c.name,
                                           'region', json_build_object('name', c.region_name))
                         ORDER BY length(c.name), c.code), '[]')::text
FROM (
  SELECT DISTINCT ON (r.base_id) r.code, r.name, r.region_name
  FROM rest_search r
  WHERE r.terms @> ARRAY[$2::text]
    AND (r.valid_from IS NULL OR r.valid_from <= $1::date)
    AND (r.valid_until IS NULL OR r.valid_until >= $1::date)
  ORDER BY r.base_id, r.in_city DESC, length(r.name), r.code
) c
LIMIT $3"""


def china_today() -> date:
    return (datetime.now(UTC) + CHINA).date()


def _wrap(key: str, body: str | None) -> bytes:
    return b'{"' + key.encode() + b'":' + (body or "null").encode() + b"}"


def create_baseline() -> Starlette:
    pool: asyncpg.Pool | None = None
    keyring = keyring_of(Settings())

    async def page(request: Request) -> Response:
        assert pool is not None
        body = await pool.fetchval(
            PAGE_SQL,
            china_today(),
            request.query_params.get("region", "510100"),
            int(request.query_params.get("limit", "20")),
        )
        return Response(_wrap("services", body), media_type=JSON)

    async def guide(request: Request) -> Response:
        assert pool is not None
        body = await pool.fetchval(GUIDE_SQL, china_today(), request.path_params["code"])
        return Response(_wrap("service", body), media_type=JSON, status_code=200)

    async def signed_in_guide(request: Request) -> Response:
        assert pool is not None
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        row = await pool.fetchrow(
            SIGNED_IN_GUIDE_SQL,
            china_today(),
            request.path_params["code"],
            keyring.token_hash(token),
        )
        if row is None or row[0] is None:
            return Response(b'{"error":"UNAUTHENTICATED"}', media_type=JSON, status_code=401)
        return Response(_wrap("service", row[1]), media_type=JSON)

    async def search(request: Request) -> Response:
        assert pool is not None
        body = await pool.fetchval(
            SEARCH_SQL,
            china_today(),
            request.query_params.get("q", "").strip().lower(),
            int(request.query_params.get("limit", "20")),
        )
        return Response(_wrap("services", body), media_type=JSON)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        nonlocal pool
        url = os.environ["RONGBAN_DATABASE_URL"].replace("postgres://", "postgresql://", 1)
        # The same pool size the app runs with by default.
        pool = await asyncpg.create_pool(url, min_size=2, max_size=10)
        try:
            yield
        finally:
            await pool.close()

    return Starlette(
        routes=[
            Route("/", lambda request: Response(b"{}", media_type=JSON)),
            Route("/rest/services", page),
            Route("/rest/services/{code:path}", guide),
            Route("/rest/me/services/{code:path}", signed_in_guide),
            Route("/rest/search", search),
        ],
        lifespan=lifespan,
    )


def bare_body(size: int) -> bytes:
    """A constant JSON body of about `size` bytes, shaped like a list of cards."""
    card = b'{"code":"510104-000000-0000","name":"\xe5\x85\xac\xe5\x85\xb1\xe5\x9c\xba\xe6\x89\x80","visits":1}'
    count = max(1, size // (len(card) + 1))
    return b'{"data":{"services":{"nodes":[' + b",".join([card] * count) + b"]}}}"


def create_bare() -> Starlette:
    body = bare_body(int(os.environ.get("RONGBAN_BENCH_BARE_BYTES", "2000")))

    async def constant(request: Request) -> Response:
        return Response(body, media_type=JSON)

    return Starlette(
        routes=[Route("/", constant), Route("/bare", constant, methods=["GET", "POST"])]
    )


def search_terms(name: str) -> list[str]:
    """The words of a guide's name as a resident may type them: Chinese words (jieba's search
    cut), each word's full pinyin and its initials."""
    import jieba
    from pypinyin import Style, lazy_pinyin

    terms: set[str] = set()
    for word in jieba.cut_for_search(name):
        word = word.strip().lower()
        if not word or not any("\u3400" <= c <= "\u9fff" for c in word):
            continue
        terms.add(word)
        terms.add("".join(lazy_pinyin(word, errors="ignore")).lower())
        initials = "".join(lazy_pinyin(word, style=Style.FIRST_LETTER, errors="ignore")).lower()
        if len(initials) >= 2:
            terms.add(initials)
    return sorted(terms)


async def build_search_table(connection: asyncpg.Connection) -> int:
    """Every published guide's terms (from its name, its base item's name and keywords and
    its department's name, as the app's index takes them) with what its card shows."""
    rows: Iterable[asyncpg.Record] = await connection.fetch(
        "SELECT i.id, i.base_id, i.code, i.name, i.valid_from, i.valid_until, "
        "g.name AS region_name, g.code = '510100' AS in_city, b.name AS base_name, "
        "b.keywords::text AS keywords, d.name AS department FROM implementation i "
        "JOIN base_item b ON b.id = i.base_id JOIN department d ON d.id = i.department_id "
        "JOIN region g ON g.id = i.region_id WHERE i.status = 'PUBLISHED'"
    )
    await connection.execute(
        "DROP TABLE IF EXISTS rest_search;"
        "CREATE TABLE rest_search (implementation_id uuid PRIMARY KEY, base_id uuid NOT NULL, "
        "code text NOT NULL, name text NOT NULL, region_name text NOT NULL, "
        "in_city boolean NOT NULL, valid_from date, valid_until date, terms text[] NOT NULL)"
    )
    records = []
    for row in rows:
        texts = [row["name"], row["base_name"], row["department"]]
        texts += [str(k) for k in json.loads(row["keywords"] or "[]")]
        terms = sorted({t for text in texts for t in search_terms(text)})
        records.append(
            (
                row["id"],
                row["base_id"],
                row["code"],
                row["name"],
                row["region_name"],
                row["in_city"],
                row["valid_from"],
                row["valid_until"],
                terms,
            )
        )
    await connection.copy_records_to_table("rest_search", records=records)
    await connection.execute("CREATE INDEX rest_search_terms ON rest_search USING gin (terms)")
    return len(records)
