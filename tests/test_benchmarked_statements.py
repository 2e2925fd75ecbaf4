"""The SQL statements of every operation `make bench` measures, sent through the API as its
clients send them: a regression in a read or a write shows here, without timing anything.

The numbers are ceilings (what the operations cost when they were last lowered): a change
that adds a statement fails here; one that saves statements should lower the ceiling.
Each read is counted after a first request of its kind (what a process does once, such as
building the search index or loading the region tree, is not per request), and for a guide
not asked before, so that the response cache cannot answer it."""

from __future__ import annotations

import httpx
import pytest

from mock_wechat.client import MiniProgram
from tests.appeals.conftest import resident
from tests.applications.conftest import HYGIENE, implementation, upload, verified_resident
from tests.conftest import RunningApp, postgres_only
from tests.perf.bench import GUIDE, PAGE, SEARCH, appeal_variables
from tests.sql import count_statements

pytestmark = postgres_only(
    "statement counts are those of PostgreSQL, the benchmark's database (SQLite reads a guide in two)"
)

# Statements per request as Tortoise sends them (the bench's SQL/req column counts on the
# wire, where a transaction's BEGIN and COMMIT add two to each write).
CEILINGS = {
    "page": 3,
    "guide": 1,
    "guide signed in": 2,
    "search": 1,
    "submitApplication": 16,
    # Filing keeps the insight aggregates in the same transaction (their cell and terms).
    "fileAppeal": 13,
}


async def _codes(app: RunningApp) -> list[str]:
    nodes = (await app.gql.data(PAGE))["services"]["nodes"]
    return [node["code"] for node in nodes]


async def statements(app: RunningApp, query: str, variables: dict, token: str | None = None) -> int:
    with count_statements() as counted:
        response = await app.gql(query, variables, token=token)
    assert not response.errors, response.errors
    return counted.count


@postgres_only(
    "statement counts are those of PostgreSQL, the benchmark's database (SQLite reads a guide in two)"
)
async def test_the_catalogue_page_costs_a_few_statements_then_none_from_the_cache(
    seeded: RunningApp,
) -> None:
    computed = await statements(seeded, PAGE, {})
    cached = await statements(seeded, PAGE, {})

    assert computed <= CEILINGS["page"]
    assert cached == 0


@postgres_only(
    "statement counts are those of PostgreSQL, the benchmark's database (SQLite reads a guide in two)"
)
async def test_a_guide_by_code_anonymous_and_signed_in(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    first, second, third, fourth = (await _codes(seeded))[:4]
    await statements(seeded, GUIDE, {"code": first})
    program = await resident(seeded, wechat, "reader", phone=False)
    await statements(seeded, GUIDE, {"code": second}, token=program.token)

    anonymous = await statements(seeded, GUIDE, {"code": third})
    signed_in = await statements(seeded, GUIDE, {"code": fourth}, token=program.token)

    assert 0 < anonymous <= CEILINGS["guide"]
    assert 0 < signed_in <= CEILINGS["guide signed in"]


@pytest.mark.parametrize("keyword", ["身份证", "shenfenzheng", "sfz"])
async def test_a_keyword_search_in_chinese_pinyin_or_initials(
    seeded: RunningApp, keyword: str
) -> None:
    await statements(seeded, SEARCH, {"keyword": "社保"})

    counted = await statements(seeded, SEARCH, {"keyword": keyword})

    found = (await seeded.gql.data(SEARCH, {"keyword": keyword}))["services"]["nodes"]
    assert found
    assert 0 < counted <= CEILINGS["search"]


async def _submit(program: MiniProgram, code: str, documents: list[str]) -> int:
    with count_statements() as counted:
        result = await program.submit_application(code, documents)
    assert result["__typename"] == "Application", result
    return counted.count


async def test_submitting_an_application_with_materials(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await verified_resident(seeded, wechat, "applicant")
    documents = [await upload(program, "ID_CARD_FRONT"), await upload(program, "OTHER")]
    code = (await implementation(HYGIENE)).code
    await _submit(program, code, documents)

    counted = await _submit(program, code, documents)

    assert 0 < counted <= CEILINGS["submitApplication"]


async def test_filing_an_appeal(seeded: RunningApp, wechat: httpx.AsyncClient) -> None:
    program = await resident(seeded, wechat, "citizen")

    async def file(n: int) -> int:
        with count_statements() as counted:
            result = await program.file_appeal(
                **{_snake(k): v for k, v in appeal_variables(n).items()}
            )
        assert result["__typename"] == "Appeal", result
        return counted.count

    await file(1)
    counted = await file(2)

    assert 0 < counted <= CEILINGS["fileAppeal"]


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)
